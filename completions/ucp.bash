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
	case $cur in
	--link-dest=* | --backup-dir=*)
		cur=${cur#*=}
		_filedir -d
		return
		;;
	--files-from=* | --exclude-from=* | --include-from=*)
		cur=${cur#*=}
		_filedir
		return
		;;
	esac
	case $cur in
	--reflink=*)
		COMPREPLY=($(compgen -P --reflink= -W 'auto always never' -- "${cur#*=}"))
		return
		;;
	--update=*)
		COMPREPLY=($(compgen -P --update= -W 'all none none-fail older' -- "${cur#*=}"))
		return
		;;
	esac
	if [[ $cur == --preserve=* || $cur == --no-preserve=* ]]; then
		local opt=${cur%%=*} list=${cur#*=} prefix=""
		[[ $list == *,* ]] && prefix=${list%,*},
		COMPREPLY=($(compgen -P "$opt=$prefix" -W 'mode ownership timestamps
			links context xattr all' -- "${list##*,}"))
		compopt -o nospace
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--archive --context --dereference --force
			--help --interactive --link --no-clobber --no-dereference
			--no-preserve= --no-target-directory --one-file-system --preserve
			--preserve= --recursive --reflink --reflink= --remove-destination
			--strip-trailing-slashes --target-directory= --update --update=
			--verbose --version -a -d -f -H -i -L -l -n -P -p -R -r -T -t -u
			-v -x -Z --sync --backup --backup-dir= --checksum --delete
			--delete-after --delete-before --delete-during --delete-excluded
			--dry-run --exclude= --exclude-from= --existing --files-from=
			--filter= --from0 --ignore-errors --ignore-existing
			--ignore-times --include= --include-from= --inplace
			--itemize-changes --link-dest= --max-delete= --max-size=
			--min-size= --modify-window= --size-only --stats --suffix=
			-b -S' -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	_filedir
} && complete -F _ucp ucp
