# bash completion for ucp (bash-completion 2.x API)
_ucp()
{
	local cur prev words cword
	_init_completion || return

	case $prev in
	-t | --target-directory)
		_filedir -d
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--force --help --interactive --no-clobber
			--no-target-directory --recursive --target-directory=
			--verbose --version -f -i -n -R -r -T -t -v' -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	_filedir
} && complete -F _ucp ucp
