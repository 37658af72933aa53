/*
 * nosys - run a command with some syscalls refused, as a container's
 * seccomp profile refuses them.
 *
 *	nosys ERRNO SYSCALL[,SYSCALL...] -- COMMAND [ARG]...
 *
 * ERRNO is a number (38 ENOSYS, 1 EPERM); SYSCALL a name from the short
 * table below.  "renameat2-noreplace" refuses renameat2 only when its
 * flags hold RENAME_NOREPLACE, as a filesystem without that flag answers
 * (EINVAL); plain renames still work.  The filter is inherited by every
 * thread and child.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	int nr;
} table[] = {
	{ "io_uring_setup", SYS_io_uring_setup },
	{ "openat2", SYS_openat2 },
	{ "statx", SYS_statx },
	{ "renameat2-noreplace", SYS_renameat2 },
	{ "listxattrat", 465 },	/* Linux 6.13; not in older headers */
};

int main(int argc, char **argv)
{
	struct sock_filter f[32];
	struct sock_fprog prog;
	unsigned n = 0;
	int err;
	char *list, *name;

	if (argc < 5 || strcmp(argv[3], "--")) {
		fprintf(stderr, "usage: nosys ERRNO SYSCALL[,...] -- CMD...\n");
		return 2;
	}
	err = atoi(argv[1]);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));
	list = argv[2];
	while ((name = strsep(&list, ",")) && n < 26) {
		size_t i;

		for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (!strcmp(name, table[i].name))
				break;
		if (i == sizeof(table) / sizeof(table[0])) {
			fprintf(stderr, "nosys: unknown syscall %s\n", name);
			return 2;
		}
		if (strchr(name, '-')) {
			/* nr == renameat2 && (flags & RENAME_NOREPLACE):
			 * refuse; else reload nr for the next test. */
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP |
				BPF_JEQ | BPF_K, (unsigned)table[i].nr, 0, 4);
			f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W |
				BPF_ABS, offsetof(struct seccomp_data, args[4]));
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP |
				BPF_JSET | BPF_K, 1 /* RENAME_NOREPLACE */, 0, 1);
			f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
				SECCOMP_RET_ERRNO |
				((unsigned)err & SECCOMP_RET_DATA));
			f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W |
				BPF_ABS, offsetof(struct seccomp_data, nr));
			continue;
		}
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			(unsigned)table[i].nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA));
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("nosys: seccomp");
		return 77;
	}
	execvp(argv[4], argv + 4);
	perror(argv[4]);
	return 127;
}
