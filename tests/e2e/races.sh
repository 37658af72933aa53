# races: symlink races by an unprivileged attacker against ucp run as root.
# (a) While root copies into a tree the attacker can write to, the attacker
#     keeps swapping the directories being filled for symlinks to a
#     root-only directory: nothing may be written there.
# (b) While root copies a tree the attacker owns, the attacker keeps
#     flipping its subdirectories to symlinks to a root-only directory:
#     nothing of it may be copied.
# 20 runs of each (RACE_RUNS).  GNU cp is attacked the same way once per
# scenario, for the record (it is not required to win).
. "$(dirname "$0")/../lib/common.sh"
need_root "the attacker is another user than the copier"
command -v setpriv >/dev/null || skip "setpriv not installed"
RACER=$TESTS_DIR/lib/racer
[ -x "$RACER" ] || { echo "FAIL: $RACER is not built (make check builds it)"; exit 1; }
runs=${RACE_RUNS:-20}
chmod 755 "$T"
mkdir -p "$T/secret" && chmod 700 "$T/secret"
printf 'root only\n' >"$T/secret/TOPSECRET"
mkdir "$T/target" && chmod 700 "$T/target"	# where (a) must never write

# The attacker (tests/lib/racer) as uid 65534, until the stop file.
attack() { # attack watch|flip DIR EVIL
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$RACER" "$1" "$2" "$3" "$T/stop" >"$T/swaps" &
	attacker=$!
	sleep 0.05	# let it set up its watch
}
stop_attack() {
	: >"$T/stop"
	wait $attacker 2>/dev/null
	rm -f "$T/stop"
	swaps=$((swaps + $(cat "$T/swaps" 2>/dev/null || echo 0)))
}

# A tree of many directories with a few files each.
mk_tree() { # mk_tree DIR MODE FILES
	mkdir -p "$1"
	for i in $(seq 1 60); do
		mkdir -p "$1/d$i"
		for k in $(seq 1 "$3"); do printf 'file %s %s\n' "$i" "$k" >"$1/d$i/f$k"; done
	done
	chmod -R "$2" "$1"
}

# (a) The destination tree is writable by the attacker (umask 0, source
# directories 0777): the attacker works inside the copy as it is made.
mk_tree "$T/srcA" 777 30
swaps=0
for run in $(seq 1 "$runs"); do
	rm -rf "$T/outA"; mkdir "$T/outA"; chmod 777 "$T/outA"
	attack watch "$T/outA/copy" "$T/target"
	(umask 0; "$UCP" -r "$T/srcA" "$T/outA/copy" 2>/dev/null)
	stop_attack
	[ -z "$(ls -A "$T/target")" ] && continue
	fail "(a) run $run: ucp wrote into the root-only directory: $(ls -A "$T/target" | head -3 | tr "\n" " ")"
	rm -rf "${T:?}/target/"*
done
[ $swaps -gt 0 ] || fail "(a): the attacker never swapped a directory (the test proves nothing)"
rm -rf "$T/outA"; mkdir "$T/outA"; chmod 777 "$T/outA"
attack watch "$T/outA/copy" "$T/target"
(umask 0; cp -r "$T/srcA" "$T/outA/copy" 2>/dev/null)
stop_attack
[ -n "$(ls -A "$T/target")" ] && echo "note: GNU cp lost race (a): it wrote $(ls -A "$T/target" | wc -l) entries into the root-only directory"
rm -rf "${T:?}/target/"*

# (b) The source tree belongs to the attacker, who flips its directories.
swaps=0
for run in $(seq 1 "$runs"); do
	rm -rf "$T/srcB" "$T/outB"
	mk_tree "$T/srcB" 755 3
	chown -R 65534:65534 "$T/srcB"
	attack flip "$T/srcB" "$T/secret"
	"$UCP" -r "$T/srcB" "$T/outB" 2>/dev/null
	stop_attack
	leaked=$(find "$T/outB" -name TOPSECRET)
	[ -z "$leaked" ] || fail "(b) run $run: ucp copied the root-only file: $leaked"
done
[ $swaps -gt 0 ] || fail "(b): the attacker never flipped a directory (the test proves nothing)"
rm -rf "$T/srcB" "$T/outB"
mk_tree "$T/srcB" 755 3
chown -R 65534:65534 "$T/srcB"
attack flip "$T/srcB" "$T/secret"
cp -r "$T/srcB" "$T/outB" 2>/dev/null
stop_attack
[ -n "$(find "$T/outB" -name TOPSECRET)" ] && echo "note: GNU cp lost race (b): it copied the root-only file"
done_test
