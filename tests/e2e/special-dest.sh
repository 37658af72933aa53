# A FIFO or a device node at the destination name is written into, as GNU
# cp writes into it (cp f /dev/null), never replaced by a regular file: the
# node stays, a reader of the FIFO gets the data in order, and -p sets the
# node's attributes as cp -p does.
. "$(dirname "$0")/../lib/common.sh"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"

# Several chunks, so that any reordering of writes would show.
mkfile "$T/src" $((3 * 1024 * 1024 + 17))

for flags in "" "-p" "-r"; do
	rm -f "$T/fifo" "$T/got"
	mkfifo "$T/fifo"
	timeout 20 cat "$T/fifo" >"$T/got" &
	reader=$!
	timeout 30 "$UCP" $flags "$T/src" "$T/fifo" 2>"$T/err"
	rc=$?
	wait "$reader"
	[ $rc = 0 ] || fail "ucp $flags src fifo: exit $rc: $(cat "$T/err")"
	[ -p "$T/fifo" ] || fail "ucp $flags src fifo: the FIFO was replaced"
	cmp -s "$T/src" "$T/got" || fail "ucp $flags src fifo: the reader got other bytes"
done

# Into a FIFO inside a tree copied over an existing one, with -v.
mkdir -p "$T/a/d" "$T/b/d"
printf 'tree\n' >"$T/a/d/x"
mkfifo "$T/b/d/x"
timeout 20 cat "$T/b/d/x" >"$T/got" &
reader=$!
out=$(cd "$T" && timeout 30 "$UCP" -rv a/d b 2>&1)
wait "$reader"
[ -p "$T/b/d/x" ] || fail "ucp -r: the FIFO in the tree was replaced"
[ "$(cat "$T/got")" = tree ] || fail "ucp -r: the FIFO's reader got '$(cat "$T/got")'"
grep -qxF "'a/d/x' -> 'b/d/x'" <<<"$out" || fail "ucp -rv printed: $out"

# A FIFO nobody reads waits, as in cp; but the files before it on the
# command line are done meanwhile (cp has done them: one after another).
# The ring's worker goes on with them while the open waits in io-wq; the
# synchronous engine, which takes a few files unless UCP_ENGINE says
# otherwise (then as here, and under UCP_ENGINE=sync), copies them one
# after another.
for eng in "${UCP_ENGINE:-ring}" auto; do
	rm -rf "$T/w" && mkdir -p "$T/w/d"
	mkfile "$T/w/k0" 300000
	printf 'x\n' >"$T/w/a0"
	mkfifo "$T/w/d/a0"
	UCP_ENGINE=${eng#auto} timeout -s KILL 3 "$UCP" "$T/w/k0" "$T/w/a0" "$T/w/d" 2>/dev/null &
	{ wait $!; rc=$?; } 2>/dev/null
	[ $rc = 137 ] || fail "$eng: a FIFO nobody reads: the copy did not wait ($rc)"
	cmp -s "$T/w/k0" "$T/w/d/k0" || fail "$eng: a FIFO nobody reads: the file before it was not copied"
	[ -p "$T/w/d/a0" ] || fail "$eng: a FIFO nobody reads: it was replaced"
done

if [ "$(id -u)" = 0 ]; then
	# A device that cannot be opened (no driver: ENXIO): cp's error,
	# and with -f it is replaced by the file (-v: "removed" after the
	# line); as cp does.
	for tool in cp ucp; do
		rm -rf "$T/nx.$tool" && mkdir "$T/nx.$tool"
		mknod "$T/nx.$tool/dev" c 240 0
		mknod "$T/nx.$tool/fdev" c 240 0
		bin=cp && [ $tool = ucp ] && bin=$UCP
		(cd "$T/nx.$tool" && "$bin" ../src dev; echo "rc=$?"
		 "$bin" -fv ../src fdev; echo "rc=$?") >"$T/nx.$tool.out" 2>&1
		sed -i 's/^[^ ]*: /P: /' "$T/nx.$tool.out"
	done
	cmp -s "$T/nx.cp.out" "$T/nx.ucp.out" ||
		{ fail "a device that cannot be opened: output differs"; diff "$T/nx.cp.out" "$T/nx.ucp.out"; }
	[ -c "$T/nx.ucp/dev" ] || fail "a device that cannot be opened: it was replaced without -f"
	cmp -s "$T/src" "$T/nx.ucp/fdev" || fail "-f onto a device that cannot be opened: not replaced by the file"

	# A character device like /dev/null, made here: cp and ucp side by side.
	for tool in cp ucp; do
		rm -f "$T/null.$tool"
		mknod -m 600 "$T/null.$tool" c 1 3
		touch -d 2001-01-01 "$T/null.$tool"
	done
	chmod 640 "$T/src"
	touch -d 2010-05-05 "$T/src"
	cp -p "$T/src" "$T/null.cp" || fail "cp -p src null failed"
	"$UCP" -p "$T/src" "$T/null.ucp" || fail "ucp -p src null failed"
	[ -c "$T/null.ucp" ] || fail "ucp -p: the device node was replaced"
	a=$(stat -c '%F %a %t:%T %Y' "$T/null.cp")
	b=$(stat -c '%F %a %t:%T %Y' "$T/null.ucp")
	[ "$a" = "$b" ] || fail "device after cp -p: $a, after ucp -p: $b"
else
	echo "note: device node case needs root (mknod); FIFO cases ran"
fi
done_test
