# SPDX-License-Identifier: MIT
# bash completion for ssci (installed as
# /usr/share/bash-completion/completions/ssci).
#
# Everything it offers comes from the binary itself, so it cannot fall
# behind it: the commands from "ssci --help", a command's options and
# their arguments from "ssci COMMAND --help" (lines "  --name ARG  help"),
# and subcommands (hook install|remove, quarantine add|remove|list,
# secret set|list|rm) from
# the words in lower case that follow the command on its usage lines.
# An option whose argument is FILE completes file names, DIR directories,
# LEVEL the priorities.

# The ssci being completed, as typed (./ssci, ~/bin/ssci or ssci on PATH).
_ssci_bin() {
	local bin=${COMP_WORDS[0]}
	[[ $bin == "~/"* ]] && bin=$HOME/${bin#"~/"}
	printf '%s' "$bin"
}

# The commands, one a line.
_ssci_commands() {
	local line listing=0
	while IFS= read -r line; do
		if [[ $line == "commands:" ]]; then
			listing=1
		elif ((listing)) && [[ $line =~ ^\ \ ([a-z][a-z0-9-]*) ]]; then
			printf '%s\n' "${BASH_REMATCH[1]}"
		fi
	done < <("$1" --help 2>/dev/null)
}

# "--name ARG" or "--name" for each option of command $2, one a line; the
# command's subcommands as "sub NAME" lines.
_ssci_spec() {
	local line rest word re_opt='^  (--[a-z0-9][a-z0-9-]*)( ([^ ]+))?'
	while IFS= read -r line; do
		if [[ $line =~ $re_opt ]]; then
			printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[3]}"
		elif [[ $line =~ ^(usage:)?\ +ssci\ "$2"\ (.*)$ ]]; then
			rest=${BASH_REMATCH[2]}
			rest=${rest#"[OPTIONS] "}
			word=${rest%% *}
			if [[ $word =~ ^[a-z]+(\|[a-z]+)*$ ]]; then
				printf 'sub %s\n' ${word//|/ }
			fi
		fi
	done < <("$1" "$2" --help 2>/dev/null)
}

_ssci() {
	local bin cur prev cmd i word line
	local -a opts=() subs=() words=()
	local -A argof=()

	COMPREPLY=()
	bin=$(_ssci_bin)
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--opt=value": readline splits at "=" (COMP_WORDBREAKS).
	if [[ $cur == "=" ]]; then
		cur=
	elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	if ((COMP_CWORD == 1)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_ssci_commands "$bin")" -- "$cur"))
		fi
		return 0
	fi
	cmd=${COMP_WORDS[1]}

	while read -r word line; do
		if [[ $word == sub ]]; then
			subs+=("$line")
		else
			opts+=("$word")
			argof[$word]=$line
		fi
	done < <(_ssci_spec "$bin" "$cmd")

	# The argument of an option.
	if [[ $prev == --* && -n ${argof[$prev]} ]]; then
		case ${argof[$prev]} in
		FILE)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
			;;
		DIR)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$cur"))
			;;
		LEVEL)
			COMPREPLY=($(compgen -W "high normal low" -- "$cur"))
			;;
		esac
		return 0
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "${opts[*]}" -- "$cur"))
		return 0
	fi

	# The words after the command that are neither options nor their
	# arguments: a subcommand is the first of them.
	for ((i = 2; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if [[ $word == --* && -n ${argof[$word]} ]]; then
			((i++))
			[[ ${COMP_WORDS[i]} == "=" ]] && ((i++))
		elif [[ $word != -* ]]; then
			words+=("$word")
		fi
	done
	if ((${#subs[@]} > 0 && ${#words[@]} == 0)); then
		COMPREPLY=($(compgen -W "${subs[*]}" -- "$cur"))
		return 0
	fi
	# Other arguments (REPO, CLONE, ...): file names, as bash would.
	compopt -o default 2>/dev/null
	return 0
}

complete -F _ssci ssci
