# bash-complete.sh COMPLETION-FILE LINE: print, one per line, the words the
# bash completion offers for LINE with the cursor at its end.  LINE is split
# into COMP_WORDS the way readline splits it (spaces separate words; '='
# and ':' are words of their own), then _ucp is called as bash calls it.
source /usr/share/bash-completion/bash_completion || exit 2
source "$1" || exit 2
compopt() { :; }	# only valid inside a real completion
line=$2
COMP_LINE=$line COMP_POINT=${#line} COMP_TYPE=9 COMP_KEY=9
COMP_WORDS=() w=""
for ((i = 0; i < ${#line}; i++)); do
	c=${line:i:1}
	case $c in
	' ') [[ -n $w ]] && COMP_WORDS+=("$w"); w="" ;;
	[=:]) [[ -n $w ]] && COMP_WORDS+=("$w"); COMP_WORDS+=("$c"); w="" ;;
	*) w+=$c ;;
	esac
done
COMP_WORDS+=("$w")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_ucp ucp "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
