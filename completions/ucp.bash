# bash completion for ucp (the bash-completion 2.11 API of Debian 12).
# Every option of ucp's option table is offered (tests/pkg/completions.sh
# checks this file against the table).
_ucp()
{
	local cur prev words cword split
	_init_completion -s || return

	# Options whose argument is optional take it only as --opt=VALUE.
	if $split; then
		case $prev in
		--reflink | --progress)
			COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
			return
			;;
		--backup)
			COMPREPLY=($(compgen -W 'none off numbered t existing nil
				simple never' -- "$cur"))
			return
			;;
		--update)
			COMPREPLY=($(compgen -W 'all none none-fail older' -- "$cur"))
			return
			;;
		--preserve | --no-preserve)
			local prefix=""
			[[ $cur == *,* ]] && prefix=${cur%,*},
			COMPREPLY=($(compgen -P "$prefix" -W 'mode ownership
				timestamps links context xattr all' -- "${cur##*,}"))
			compopt -o nospace
			return
			;;
		--context)
			return
			;;
		esac
	fi
	case $prev in
	-t | --target-directory | --link-dest | --backup-dir)
		_filedir -d
		return
		;;
	--files-from | --exclude-from | --include-from | --checksum-file)
		_filedir
		return
		;;
	--sparse)
		COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
		return
		;;
	--no-preserve)
		local prefix=""
		[[ $cur == *,* ]] && prefix=${cur%,*},
		COMPREPLY=($(compgen -P "$prefix" -W 'mode ownership timestamps
			links context xattr all' -- "${cur##*,}"))
		compopt -o nospace
		return
		;;
	-S | --suffix | --exclude | --include | --filter | --max-delete | \
		--max-size | --min-size | --modify-window)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--archive --attributes-only --backup
			--backup= --backup-dir= --checksum --checksum-file= --context --context=
			--copy-contents --debug --delete --delete-after --delete-before
			--delete-during --delete-excluded --dereference --dry-run
			--exclude= --exclude-from= --existing --files-from= --filter=
			--force --from0 --fsync --help --ignore-errors --ignore-existing
			--ignore-times --include= --include-from= --inplace
			--interactive --itemize-changes --json --keep-directory-symlink --link
			--link-dest= --max-delete= --max-size= --min-size=
			--modify-window= --no-clobber --no-dereference --no-preserve=
			--no-target-directory --one-file-system --parents --preserve
			--preserve= --progress --progress= --recursive --reflink --reflink=
			--remove-destination --size-only --sparse= --stats
			--strip-trailing-slashes --suffix= --symbolic-link --sync
			--target-directory= --update --update= --verbose --verify --version
			-a -b -d -f -H -i -L -l -n -P -p -R -r -S -s -T -t -u -v -x
			-Z' -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	_filedir
} && complete -F _ucp ucp
