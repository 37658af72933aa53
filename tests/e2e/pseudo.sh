# pseudo: files of /proc and /sys, whose size says nothing of their
# contents (/proc says 0 bytes, /sys 4096), are read to their end, as cp
# reads them: a copy, a tree copy, --verify and --sync each give what cat
# gives, with no message, where the chunked copy, which reads what the
# size promised, reported them as changed and published nothing.
. "$(dirname "$0")/../lib/common.sh"
[ -r /proc/version ] && [ -d /proc/sys/kernel/keys ] ||
	skip "no /proc with /proc/sys/kernel/keys"
mkdir "$T/d"

# same_as_cat SRC COPY WHAT
same_as_cat() {
	cat "$1" >"$T/want" || { fail "$3: cannot read $1"; return; }
	[ -s "$T/want" ] || { fail "$3: $1 reads empty"; return; }
	cmp -s "$T/want" "$2" || fail "$3: $2 is not what $1 reads ($(wc -c <"$2") bytes)"
}

# quiet WHAT ARGS...: ucp ARGS exits 0 and prints nothing.
quiet() {
	local what=$1
	shift
	"$UCP" "$@" >"$T/out" 2>&1 || fail "$what: exit status $?: $(cat "$T/out")"
	[ -s "$T/out" ] && fail "$what: printed: $(cat "$T/out")"
}

quiet files /proc/version /proc/sys/kernel/ostype "$T/d"
same_as_cat /proc/version "$T/d/version" files
same_as_cat /proc/sys/kernel/ostype "$T/d/ostype" files

quiet tree -r /proc/sys/kernel/keys "$T/keys"
n=0
for f in /proc/sys/kernel/keys/*; do
	same_as_cat "$f" "$T/keys/${f##*/}" tree
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "tree: /proc/sys/kernel/keys is empty"

quiet verify --verify /proc/sys/kernel/ostype "$T/d/verified"
same_as_cat /proc/sys/kernel/ostype "$T/d/verified" verify

quiet sync --sync /proc/sys/kernel/keys "$T/mirror"
for f in /proc/sys/kernel/keys/*; do
	same_as_cat "$f" "$T/mirror/${f##*/}" sync
done

# /sys: 4096 bytes by its stat, a few by its contents.
f=/sys/devices/system/cpu/online
if [ -r $f ]; then
	quiet sysfs $f "$T/d/online"
	same_as_cat $f "$T/d/online" sysfs
else
	echo "note: no $f; the /sys case was not run"
fi
done_test
