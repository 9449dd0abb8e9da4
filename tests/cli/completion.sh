# SPDX-License-Identifier: MIT
# completion.sh - bash completion (completion/p11enroll) offers the
# commands, the global options and each command's own, role and set
# names from the profiles path, token labels from the module, and the PIN
# source forms. Each check calls the completion function as bash does,
# with COMP_WORDS and COMP_CWORD, and compares COMPREPLY.
if ! command -v bash >/dev/null; then
	echo "# SKIP: bash is not installed"
	exit 77
fi
. "$top_srcdir/tests/cli/lib.sh"

new_token compa
new_token "comp b"

# complete WORD...: what completing the last word offers, one a line,
# sorted.
complete_words() {
	bash -c '
		. "$1/completion/p11enroll"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_p11enroll
		printf "%s\n" "${COMPREPLY[@]}" | sort
	' bash "$top_srcdir" "$P11ENROLL_NATIVE" "$@"
}

# offers DESCRIPTION EXPECTED WORD...: the completion is exactly EXPECTED
# (words separated by spaces).
offers() {
	_what=$1
	_want=$(printf '%s\n' $2 | sort)
	shift 2
	_got=$(complete_words "$@")
	if [ "$_got" = "$_want" ]; then
		ok "$_what"
	else
		not_ok "$_what: offered '$(echo $_got)', expected '$(echo $_want)'"
	fi
}

# has DESCRIPTION WORD-OFFERED WORD...: the completion includes it.
has() {
	_what=$1
	_want=$2
	shift 2
	if complete_words "$@" | grep -qxF -- "$_want"; then
		ok "$_what"
	else
		not_ok "$_what: '$_want' not among '$(complete_words "$@" | tr '\n' ' ')'"
	fi
}

offers "commands starting with re" "remove renew request revoke" re
has "remove offers --revoke" --revoke remove --rev
offers "revocation reasons starting with c" "certificateHold cessationOfOperation" \
	remove --reason c
has "status offers --all-tokens" --all-tokens status --all
offers "the init-token command" "init-token install" in
offers "enroll's options starting with --t: its own and the global" \
	"--token --trust" enroll --t
has "status offers --repair" --repair status --
has "status offers the global --json" --json status --
offers "status does not offer enroll's --set" "" status --se
has "batch offers --journal" --journal batch --j
has "enroll offers the CA options" --ca-timeout enroll --ca-t
has "before a command, the global options" --pin-source --pin
offers "roles starting with tls-" "tls-client tls-server" enroll tls-
has "enroll offers role sets" smartcard-user enroll smart
offers "profile's subcommands" "show" profile s
has "profile show offers roles" tls-server profile show tls-s
offers "PIN source forms" "fd: file:" --pin-source f
has "a token label" compa --token comp
has "a token label with a space" "comp b" --token comp
expect "only those two labels" test "$(complete_words --token comp | wc -l)" -eq 2
# A profiles directory given before the command is where roles come from.
mkdir "$WORK/own"
cp "$top_srcdir/profiles/tls-server.profile" "$WORK/own/web-only.profile"
has "roles from --profiles" web-only --profiles "$WORK/own" enroll web

finish
