# ucp - io_uring file copy and sync tool.
#
# make                 build ./ucp (pkg-config finds liburing)
# make DEVELOPER=1     strict warnings, as errors (never in the default build)
# make SANITIZE=1      ASan + UBSan build (also: make check SANITIZE=1)
# make check           every test; ends with "N passed, N failed, N skipped"
#                      (JOBS=N tests at once, default one per CPU; TESTS=names)
# make deps            install build and test dependencies (Debian/Ubuntu)
# make install         PREFIX, DESTDIR, BINDIR, MANDIR and the completion
#                      directories (BASHCOMPDIR, ZSHCOMPDIR, FISHCOMPDIR)
# make bench           ucp against cp, rsync and tar: about a minute
#                      (BENCH=full: the documented figures; BENCH_DIR: where;
#                      BENCH_ARGS: more options, see bench/run.py --help)

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATAROOTDIR ?= $(PREFIX)/share
MANDIR ?= $(DATAROOTDIR)/man
INSTALL ?= install
PKG_CONFIG ?= pkg-config

# Completion directories: where each shell looks under this prefix.  bash:
# what bash-completion's pkg-config file says, moved under DATAROOTDIR.
# zsh: Debian's vendor-completions for a /usr install (the distributions
# that use site-functions pass ZSHCOMPDIR), site-functions otherwise.
BASHCOMPDIR ?= $(or $(shell $(PKG_CONFIG) --define-variable=datadir=$(DATAROOTDIR) \
	--variable=completionsdir bash-completion 2>/dev/null), \
	$(DATAROOTDIR)/bash-completion/completions)
ifeq ($(PREFIX),/usr)
ZSHCOMPDIR ?= $(DATAROOTDIR)/zsh/vendor-completions
else
ZSHCOMPDIR ?= $(DATAROOTDIR)/zsh/site-functions
endif
FISHCOMPDIR ?= $(DATAROOTDIR)/fish/vendor_completions.d

CC ?= cc
CFLAGS ?= -O2 -g
URING_CFLAGS := $(shell $(PKG_CONFIG) --cflags liburing 2>/dev/null)
URING_LIBS := $(shell $(PKG_CONFIG) --libs liburing 2>/dev/null || echo -luring)

# Flags the project needs; appended, so CFLAGS/CPPFLAGS/LDFLAGS from the
# user or a distribution stay in charge of optimisation and hardening.
UCP_CPPFLAGS = -D_GNU_SOURCE -DUCP_VERSION='"$(VERSION)"' -Isrc $(URING_CFLAGS)
UCP_CFLAGS = -std=gnu11 -pthread -Wall -Wextra
UCP_LDLIBS = $(URING_LIBS) -lxxhash -pthread

# Strict warnings as errors, for developers only: distributions build with
# compilers we never tried, and a new warning must not break their build.
DEVELOPER_CFLAGS = -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wcast-align -Wwrite-strings \
	-Wformat=2 -Wundef -Wvla -Wno-unused-parameter -Wno-format-nonliteral
ifeq ($(DEVELOPER),1)
UCP_CFLAGS += $(DEVELOPER_CFLAGS)
endif
ifeq ($(SANITIZE),1)
UCP_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
UCP_LDFLAGS += -fsanitize=address,undefined
endif

SRCS = src/main.c src/opts.c src/log.c src/copy.c src/engine.c \
	src/engine_ring.c src/engine_sync.c src/engine_threads.c \
	src/bufpool.c src/pathbuf.c src/meta.c src/sync.c src/filter.c \
	src/hash.c src/json.c src/backup.c
OBJS = $(SRCS:.c=.o)
HDRS = $(wildcard src/*.h)

UNIT_TESTS = tests/unit/test_log tests/unit/test_opts \
	tests/unit/test_pathbuf tests/unit/test_engine_sync \
	tests/unit/test_engine_ring tests/unit/test_engine_threads \
	tests/unit/test_filter
# Not tests: optdump prints the option table for tests/pkg/docs.sh;
# racer is the attacker of tests/e2e/races.sh; nosys refuses syscalls as a
# seccomp profile would (tests/e2e/fallback.sh); faultfs (FUSE, built where
# libfuse3 is) injects I/O faults for tests/e2e/fuse-faults.sh.
TEST_TOOLS = tests/unit/optdump tests/lib/racer tests/lib/nosys
FUSE_CFLAGS := $(shell $(PKG_CONFIG) --cflags fuse3 2>/dev/null)
FUSE_LIBS := $(shell $(PKG_CONFIG) --libs fuse3 2>/dev/null)
ifneq ($(FUSE_LIBS),)
TEST_TOOLS += tests/lib/faultfs
endif
UNIT_DEPS_optdump = src/opts.o src/log.o src/pathbuf.o src/filter.o src/json.o
UNIT_DEPS_test_filter = src/filter.o
UNIT_DEPS_test_log = src/log.o src/pathbuf.o src/json.o
UNIT_DEPS_test_opts = src/opts.o src/log.o src/pathbuf.o src/filter.o src/json.o
UNIT_DEPS_test_pathbuf = src/pathbuf.o
ENGINE_OBJS = src/engine.o src/engine_ring.o src/engine_sync.o \
	src/engine_threads.o src/bufpool.o src/log.o src/pathbuf.o src/json.o
UNIT_DEPS_test_engine_sync = $(ENGINE_OBJS)
UNIT_DEPS_test_engine_ring = $(ENGINE_OBJS)
UNIT_DEPS_test_engine_threads = $(ENGINE_OBJS)

all: ucp

ucp: $(OBJS)
	$(CC) $(UCP_CFLAGS) $(CFLAGS) $(UCP_LDFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(UCP_LDLIBS) $(LDLIBS)

src/%.o: src/%.c $(HDRS) Makefile
	$(CC) $(UCP_CPPFLAGS) $(CPPFLAGS) $(UCP_CFLAGS) $(CFLAGS) -c -o $@ $<

tests/unit/%.o: tests/unit/%.c $(wildcard tests/unit/*.h) $(HDRS) Makefile
	$(CC) $(UCP_CPPFLAGS) $(CPPFLAGS) $(UCP_CFLAGS) $(CFLAGS) -c -o $@ $<

tests/lib/racer: tests/lib/racer.c Makefile
	$(CC) $(CPPFLAGS) -Wall -Wextra $(CFLAGS) $(LDFLAGS) -o $@ $<

tests/lib/nosys: tests/lib/nosys.c Makefile
	$(CC) $(CPPFLAGS) -Wall -Wextra $(CFLAGS) $(LDFLAGS) -o $@ $<

tests/lib/faultfs: tests/lib/faultfs.c Makefile
	$(CC) $(FUSE_CFLAGS) $(CPPFLAGS) -Wall -Wextra $(CFLAGS) $(LDFLAGS) -o $@ $< $(FUSE_LIBS)

.SECONDEXPANSION:
tests/unit/%: tests/unit/%.o $$(UNIT_DEPS_%)
	$(CC) $(UCP_CFLAGS) $(CFLAGS) $(UCP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(UCP_LDLIBS) $(LDLIBS)

# A SANITIZE build must not reuse objects from a plain build (or the other
# way round): remember the flavour and rebuild when it changes.
# (make dist builds nothing and leaves the objects alone.)
FLAVOUR := $(SANITIZE)-$(DEVELOPER)
ifneq ($(MAKECMDGOALS),dist)
ifneq ($(FLAVOUR),$(shell cat .flavour 2>/dev/null))
$(shell rm -f src/*.o tests/unit/*.o ucp $(UNIT_TESTS) $(TEST_TOOLS); echo '$(FLAVOUR)' > .flavour)
endif
endif

check: ucp $(UNIT_TESTS) $(TEST_TOOLS)
	@UCP=$(CURDIR)/ucp SANITIZE=$(SANITIZE) UCP_CHECK_JOBS=$(JOBS) tests/run.sh $(TESTS)

# libFuzzer targets (clang) for the option parser and the filter rules,
# each run for FUZZ_SECONDS from the seed corpus in tests/fuzz/corpus
# (new inputs go to tests/fuzz/build; a crash leaves its input there).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
FUZZ_OPTS_SRCS = tests/fuzz/fuzz_opts.c src/opts.c src/log.c src/pathbuf.c \
	src/filter.c src/json.c
fuzz:
	mkdir -p tests/fuzz/build/opts tests/fuzz/build/filter
	$(FUZZ_CC) $(UCP_CPPFLAGS) $(FUZZ_FLAGS) -o tests/fuzz/build/fuzz_opts \
		$(FUZZ_OPTS_SRCS)
	$(FUZZ_CC) $(UCP_CPPFLAGS) $(FUZZ_FLAGS) -o tests/fuzz/build/fuzz_filter \
		tests/fuzz/fuzz_filter.c src/filter.c
	tests/fuzz/build/fuzz_opts -max_total_time=$(FUZZ_SECONDS) -max_len=512 \
		-close_fd_mask=3 -artifact_prefix=tests/fuzz/build/ \
		tests/fuzz/build/opts tests/fuzz/corpus/opts
	tests/fuzz/build/fuzz_filter -max_total_time=$(FUZZ_SECONDS) -max_len=1024 \
		-artifact_prefix=tests/fuzz/build/ \
		tests/fuzz/build/filter tests/fuzz/corpus/filter

# The benchmark (not a test: it measures, it asserts nothing but that each
# copy is right).  Results in $(BENCH_DIR)/results: table.md, chart.png.
BENCH ?= quick
BENCH_DIR ?= /var/tmp/ucp-bench
bench: ucp
	python3 bench/run.py --$(BENCH) --dir $(BENCH_DIR) --ucp ./ucp $(BENCH_ARGS)

deps:
	@if command -v apt-get >/dev/null; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
		$(DEB_DEPS); \
	else \
		echo "Debian/Ubuntu: apt-get install $(DEB_DEPS)"; \
	fi
	@echo "Fedora: dnf install gcc make pkgconf-pkg-config liburing-devel xxhash-devel rsync attr acl python3"
	@echo "Arch:   pacman -S --needed gcc make pkgconf liburing xxhash rsync attr acl python"

# Build: the first line.  Tests: the rest (the packaging tests build the
# .deb, the rpm and the Arch package, and load the completions in bash,
# zsh and fish).
DEB_DEPS = build-essential pkg-config liburing-dev libxxhash-dev \
	rsync attr acl python3 time xfsprogs btrfs-progs e2fsprogs mandoc man-db \
	debhelper lintian blhc rpm cpio makepkg pacman-package-manager \
	libarchive-tools fakeroot \
	bash-completion zsh fish strace xxhash libcap2-bin gnuplot-nox \
	fuse3 libfuse3-dev clang libclang-rt-14-dev

# Never strips (distributions split debug symbols themselves).
install: ucp
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 755 ucp $(DESTDIR)$(BINDIR)/ucp
	$(INSTALL) -m 644 man/ucp.1 $(DESTDIR)$(MANDIR)/man1/ucp.1
	$(INSTALL) -m 644 completions/ucp.bash $(DESTDIR)$(BASHCOMPDIR)/ucp
	$(INSTALL) -m 644 completions/_ucp $(DESTDIR)$(ZSHCOMPDIR)/_ucp
	$(INSTALL) -m 644 completions/ucp.fish $(DESTDIR)$(FISHCOMPDIR)/ucp.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ucp $(DESTDIR)$(MANDIR)/man1/ucp.1 \
		$(DESTDIR)$(BASHCOMPDIR)/ucp $(DESTDIR)$(ZSHCOMPDIR)/_ucp \
		$(DESTDIR)$(FISHCOMPDIR)/ucp.fish

# make dist: the source tarball the packages build from (packaging/), with
# sorted names, no owners and the last commit's time, so that it is the
# same bytes wherever it is made.
DISTDIR ?= .
DIST = ucp-$(VERSION)
DIST_FILES = LICENSE Makefile README.md .ci/run $(SRCS) $(HDRS) man/ucp.1 \
	completions/ucp.bash completions/_ucp completions/ucp.fish \
	bench/mktree.py bench/run.py bench/statbound.c bench/timeline.py \
	doc/PERFORMANCE.md doc/bench.png \
	$(sort $(wildcard tests/run.sh tests/lib/*.sh tests/lib/*.py tests/lib/*.c \
		tests/lib/*.zsh tests/unit/*.[ch] tests/fuzz/*.c tests/fuzz/*.py \
		tests/fuzz/corpus/*/* \
		tests/e2e/*.sh tests/pkg/*.sh)) \
	$(sort $(shell find packaging -type f))
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
dist:
	tar --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime=@$(SOURCE_DATE_EPOCH) --transform='s,^,$(DIST)/,' \
		-cf - $(DIST_FILES) | gzip -n9 >$(DISTDIR)/$(DIST).tar.gz

clean:
	rm -f ucp src/*.o tests/unit/*.o $(UNIT_TESTS) $(TEST_TOOLS) .flavour
	rm -rf tests/fuzz/build

.PHONY: all check bench fuzz deps install uninstall dist clean
.SECONDARY:
