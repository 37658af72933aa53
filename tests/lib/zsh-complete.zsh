# zsh-complete.zsh FPATHDIR LINE: print, one per line, the matches zsh's
# completion system offers for LINE followed by Tab, with _ucp from
# FPATHDIR.  It drives an interactive zsh on a pseudo-terminal (zpty) whose
# compadd is wrapped to print every match it is given.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
init='PROMPT=
fpath=('$1' $fpath)
autoload -Uz compinit
compinit -u -D
zstyle ":completion:*" list-grouped false
zstyle ":completion:*" insert-tab false
zstyle ":completion:*" list-separator ""
compadd () {
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"
		return $?
	fi
	typeset -a __hits
	builtin compadd -A __hits "$@"
	local ret=$?
	typeset -A apre hpre
	zparseopts -E P:=apre p:=hpre S:=asuf
	local h
	for h in $__hits; do
		print -r -- "<<${apre[-P]-}${hpre[-p]-}$h>>"
	done
	return ret
}
finish () { print "<<<END>>>"; exit }
comppostfuncs=(finish)
bindkey "^I" complete-word'
initf=${TMPDIR:-/tmp}/capture.$$.zsh
print -r -- "$init" >$initf
zpty -w z "source $initf; rm -f $initf"
zpty -w z "$2"$'\t'
while zpty -r z line; do
	[[ $line == *'<<<END>>>'* ]] && break
	[[ $line == *'<<'*'>>'* ]] && { line=${line#*<<}; print -r -- ${line%%>>*}; }
done
zpty -d z
