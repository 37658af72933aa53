#!/usr/bin/env bash
# The bash, zsh and fish completions, loaded in their shells and asked for
# completions as a user's Tab would: each offers exactly the long options of
# ucp's option table (and every short one), the fixed value sets of
# --reflink, --sparse, --update, --backup and --preserve/--no-preserve (each
# value accepted by ucp itself), and file names for operands.
. "$(dirname "$0")/../lib/common.sh"
OPTDUMP=$TESTS_DIR/unit/optdump
COMP=$TESTS_DIR/../completions
[ -x "$OPTDUMP" ] || { echo "FAIL: $OPTDUMP is not built (make check builds it)"; exit 1; }

"$OPTDUMP" | awk '$4 !~ /hidden/ && $1 != "-" { print "--" $1 }' | sort >"$T/long"
"$OPTDUMP" | awk '$4 !~ /hidden/ && $2 != "-" { print "-" $2 }' | sort >"$T/short"
[ "$(wc -l <"$T/long")" -gt 40 ] || fail "optdump printed too few options"

declare -A values=(
	[reflink]="always auto never"
	[progress]="always auto never"
	[sparse]="always auto never"
	[update]="all none none-fail older"
	[backup]="existing never nil none numbered off simple t"
	[preserve]="all context links mode ownership timestamps xattr"
)

# A value ucp's parser rejects gets cp's "invalid argument" diagnostic.
accepted() { # accepted OPTION VALUE
	! "$UCP" "--$1=$2" "$T/none" "$T/none2" 2>&1 | grep -q 'invalid argument\|ambiguous argument'
}

mkdir -p "$T/w/dir1/sub" && : >"$T/w/file1"
cd "$T/w" || exit 1

# check_shell NAME CMD...: CMD LINE prints the completions for LINE.
check_shell() {
	local sh=$1 opt want got
	shift
	"$@" 'ucp --' | sed 's/=$//' | sort -u >"$T/$sh.long"
	diff "$T/long" "$T/$sh.long" >"$T/$sh.diff" ||
		fail "$sh: long options differ from the option table (< table, > $sh): $(cat "$T/$sh.diff")"
	"$@" 'ucp -' | grep -v '^--' | sort -u >"$T/$sh.short"
	comm -23 "$T/short" "$T/$sh.short" >"$T/$sh.missing"
	[ -s "$T/$sh.missing" ] && fail "$sh: short options not offered: $(cat "$T/$sh.missing")"
	for opt in "${!values[@]}"; do
		want=${values[$opt]}
		got=$("$@" "ucp --$opt=" | sed 's/.*[=,]//' | sort -u | xargs)
		[ "$got" = "$want" ] || fail "$sh: --$opt= offers '$got', want '$want'"
	done
	got=$("$@" 'ucp --preserve=mode,t' | sed 's/.*[=,]//' | sort -u | xargs)
	[ "$got" = timestamps ] || fail "$sh: --preserve=mode,t offers '$got'"
	got=$("$@" 'ucp --no-preserve=own' | sed 's/.*[=,]//' | sort -u | xargs)
	[ "$got" = "ownership" ] || fail "$sh: --no-preserve=own offers '$got'"
	got=$("$@" 'ucp fi' | sort -u | xargs)
	[ "$got" = file1 ] || fail "$sh: 'ucp fi' offers '$got', want file1"
	got=$("$@" 'ucp -r di' | sed 's,/$,,' | sort -u | xargs)
	[ "$got" = dir1 ] || fail "$sh: 'ucp -r di' offers '$got', want dir1"
}

# Every value the completions offer is one ucp takes.
for opt in reflink progress update backup preserve; do
	for v in ${values[$opt]}; do
		accepted "$opt" "$v" || fail "ucp refuses --$opt=$v, which the completions offer"
	done
done
accepted reflink bogus && fail "accepted() cannot tell a refused value"

missing=()
if [ -r /usr/share/bash-completion/bash_completion ]; then
	check_shell bash bash "$TESTS_DIR/lib/bash-complete.sh" "$COMP/ucp.bash"
else
	missing+=("bash-completion")
fi
if command -v zsh >/dev/null; then
	zsh -n "$COMP/_ucp" || fail "zsh: _ucp has a syntax error"
	check_shell zsh timeout 60 zsh -f "$TESTS_DIR/lib/zsh-complete.zsh" "$COMP"
else
	missing+=(zsh)
fi
if command -v fish >/dev/null; then
	fish_complete() {
		HOME=$T XDG_CONFIG_HOME=$T/.config fish --no-config -c \
			"source '$COMP/ucp.fish'; complete -C '$1'" | cut -f1
	}
	check_shell fish fish_complete
else
	missing+=(fish)
fi
[ "$FAILS" = 0 ] && [ ${#missing[@]} -gt 0 ] &&
	skip "${missing[*]} not installed (make deps installs them); the others passed"
done_test
