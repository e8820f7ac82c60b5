#!/bin/sh
# skjold-vulns-agent: report this host's installed packages to Skjold's vulnerability module (issue 5 item 1).
#
# Collects /etc/os-release, `uname -r`, the host name, the package list (dpkg-query on Debian and Ubuntu, rpm on
# AlmaLinux and Rocky Linux), the APT origin of each package (`apt list --installed`), `needrestart -b` when
# needrestart is installed, and whether /run/reboot-required exists; writes them as one plain-text document
# (format: src/modules/vulns/inventory/upload.ts) and POSTs it over HTTPS to
# $SKJOLD_URL/api/v1/vulns/inventory with the host's API token. POSIX sh (runs under dash); needs curl to post.
#
# Usage: skjold-vulns-agent.sh [--print] [--help]
#   --print   write the document to standard output instead of posting it (no URL or token needed)
#
# Configuration: environment variables, else the same names as KEY=value lines in /etc/skjold/agent.conf (or the
# file named by SKJOLD_CONFIG). The file is read, never executed; keep it mode 0600, it holds the token.
#   SKJOLD_URL            base URL of Skjold, https://… (required to post)
#   SKJOLD_TOKEN          API token of this host (required to post); sent in a header read from stdin, never argv
#   SKJOLD_CACERT         CA certificate file to trust for SKJOLD_URL (a private CA); default: the system's CAs
#   SKJOLD_SPLAY          sleep a random 0..N seconds before collecting, so a fleet's cron jobs spread out (0)
#   SKJOLD_TIMEOUT        seconds the whole upload may take (60)
#   SKJOLD_HOSTNAME       the name to report; default `hostname -f`, else `hostname`
#   SKJOLD_PACKAGE_TOOL   dpkg, rpm or auto (auto: by os-release ID and ID_LIKE, then whichever is installed)
#   SKJOLD_INSECURE_HTTP  1 allows an http:// SKJOLD_URL (tests on loopback only; the token would travel in clear)
#
# Exit codes:
#   0  uploaded (or printed, with --print)
#   2  usage or configuration error (unknown option, missing URL or token, unreadable config, http:// URL)
#   3  the inventory could not be collected (no os-release, no dpkg-query or rpm, the package query failed)
#   4  Skjold refused the upload (HTTP 4xx or 5xx); its problem message is printed on standard error
#   5  Skjold could not be reached (DNS, connection, TLS, timeout), or curl is missing
#
# Cron, e.g. /etc/cron.d/skjold-vulns-agent (daily, spread over 15 minutes; silent unless something fails):
#   SKJOLD_SPLAY=900
#   17 3 * * * root /usr/local/sbin/skjold-vulns-agent.sh
set -eu

AGENT_VERSION=1
LC_ALL=C
export LC_ALL
PROG=skjold-vulns-agent

die() {
	code=$1
	shift
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit "$code"
}

mode=post
for arg in "$@"; do
	case $arg in
	--print) mode=print ;;
	--help | -h)
		sed -n '2,/^set -eu$/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die 2 "unknown option: $arg (try --help)" ;;
	esac
done

# Read KEY=value lines from the config file for keys the environment does not set. Never executed as shell code.
config=${SKJOLD_CONFIG:-/etc/skjold/agent.conf}
if [ -e "$config" ]; then
	[ -r "$config" ] || die 2 "cannot read $config"
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case $line in '' | '#'*) continue ;; esac
		key=${line%%=*}
		value=${line#*=}
		[ "$key" != "$line" ] || die 2 "$config line $n: expected KEY=value"
		case $value in
		\"*\")
			value=${value#\"}
			value=${value%\"}
			;;
		\'*\')
			value=${value#\'}
			value=${value%\'}
			;;
		esac
		case $key in
		SKJOLD_URL | SKJOLD_TOKEN | SKJOLD_CACERT | SKJOLD_SPLAY | SKJOLD_TIMEOUT | SKJOLD_HOSTNAME | SKJOLD_PACKAGE_TOOL | SKJOLD_INSECURE_HTTP)
			eval "isset=\${$key+x}"
			# shellcheck disable=SC2154 # isset is assigned by the eval above
			[ -n "$isset" ] || eval "$key=\$value"
			;;
		*) die 2 "$config line $n: unknown key $key" ;;
		esac
	done <"$config"
fi

SKJOLD_SPLAY=${SKJOLD_SPLAY:-0}
SKJOLD_TIMEOUT=${SKJOLD_TIMEOUT:-60}
SKJOLD_PACKAGE_TOOL=${SKJOLD_PACKAGE_TOOL:-auto}
case $SKJOLD_SPLAY in '' | *[!0-9]*) die 2 "SKJOLD_SPLAY must be a number of seconds" ;; esac
case $SKJOLD_TIMEOUT in '' | 0 | *[!0-9]*) die 2 "SKJOLD_TIMEOUT must be a positive number of seconds" ;; esac
case $SKJOLD_PACKAGE_TOOL in auto | dpkg | rpm) ;; *) die 2 "SKJOLD_PACKAGE_TOOL must be auto, dpkg or rpm" ;; esac

if [ "$mode" = post ]; then
	[ -n "${SKJOLD_URL:-}" ] || die 2 "SKJOLD_URL is not set (environment or $config)"
	[ -n "${SKJOLD_TOKEN:-}" ] || die 2 "SKJOLD_TOKEN is not set (environment or $config)"
	case $SKJOLD_URL in
	https://*) ;;
	http://*) [ "${SKJOLD_INSECURE_HTTP:-0}" = 1 ] || die 2 "SKJOLD_URL must be https:// (the token must not travel in clear)" ;;
	*) die 2 "SKJOLD_URL must start with https://" ;;
	esac
	if [ -n "${SKJOLD_CACERT:-}" ] && [ ! -r "$SKJOLD_CACERT" ]; then die 2 "cannot read SKJOLD_CACERT $SKJOLD_CACERT"; fi
	command -v curl >/dev/null 2>&1 || die 5 "curl is not installed"
	if [ "$SKJOLD_SPLAY" -gt 0 ]; then
		r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		sleep $((r % (SKJOLD_SPLAY + 1)))
	fi
fi

tmp=$(mktemp "${TMPDIR:-/tmp}/skjold-agent.XXXXXX")
trap 'rm -f "$tmp" "$tmp.part" "$tmp.body"' EXIT
trap 'exit 130' INT TERM

if [ -r /etc/os-release ]; then
	os_release=/etc/os-release
elif [ -r /usr/lib/os-release ]; then
	os_release=/usr/lib/os-release
else
	die 3 "neither /etc/os-release nor /usr/lib/os-release is readable"
fi
os_id=$(sed -n 's/^ID=["'\'']\{0,1\}\([^"'\'']*\).*/\1/p' "$os_release")
os_like=$(sed -n 's/^ID_LIKE=["'\'']\{0,1\}\([^"'\'']*\).*/\1/p' "$os_release")

tool=$SKJOLD_PACKAGE_TOOL
if [ "$tool" = auto ]; then
	case " $os_id $os_like " in
	*" debian "* | *" ubuntu "*) tool=dpkg ;;
	*" rhel "* | *" fedora "* | *" centos "* | *" suse "*) tool=rpm ;;
	*)
		if command -v dpkg-query >/dev/null 2>&1; then tool=dpkg; elif command -v rpm >/dev/null 2>&1; then tool=rpm; fi
		;;
	esac
fi
case $tool in
dpkg) command -v dpkg-query >/dev/null 2>&1 || die 3 "dpkg-query is not installed" ;;
rpm) command -v rpm >/dev/null 2>&1 || die 3 "rpm is not installed" ;;
*) die 3 "neither dpkg-query nor rpm is installed" ;;
esac

host=${SKJOLD_HOSTNAME:-}
[ -n "$host" ] || host=$(hostname -f 2>/dev/null) || host=
[ -n "$host" ] || host=$(hostname 2>/dev/null) || host=
[ -n "$host" ] || host=$(uname -n)

{
	printf 'skjold-inventory 1\n'
	printf 'agent %s %s\n' "$PROG" "$AGENT_VERSION"
	printf 'hostname %s\n' "$host"
	printf 'collected-at %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf 'uname-r %s\n' "$(uname -r)"
	# /run/reboot-required is a Debian-family convention; elsewhere its absence says nothing.
	if [ "$tool" = dpkg ]; then
		if [ -e /run/reboot-required ]; then printf 'reboot-required yes\n'; else printf 'reboot-required no\n'; fi
	fi
	printf '[os-release]\n'
	grep -E '^[A-Z0-9_]+=' "$os_release" || true
} >"$tmp"

if [ "$tool" = dpkg ]; then
	printf '[dpkg]\n' >>"$tmp"
	# shellcheck disable=SC2016 # ${…} are dpkg-query's fields, not the shell's
	dpkg-query -W -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Status}\n' >>"$tmp" ||
		die 3 "dpkg-query failed"
	if command -v apt >/dev/null 2>&1 && apt list --installed >"$tmp.part" 2>/dev/null; then
		printf '[apt-origins]\n' >>"$tmp"
		grep -v '^Listing' "$tmp.part" >>"$tmp" || true
	fi
else
	printf '[rpm]\n' >>"$tmp"
	rpm -qa --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n' >>"$tmp" || die 3 "rpm -qa failed"
fi

# needrestart -b needs root; when it fails the section is left out rather than sent half-written.
if command -v needrestart >/dev/null 2>&1 && needrestart -b >"$tmp.part" 2>/dev/null; then
	printf '[needrestart]\n' >>"$tmp"
	grep '^NEEDRESTART-' "$tmp.part" >>"$tmp" || true
fi

if [ "$mode" = print ]; then
	cat "$tmp"
	exit 0
fi

url="${SKJOLD_URL%/}/api/v1/vulns/inventory"
set -- --silent --show-error --fail-with-body --connect-timeout 10 --max-time "$SKJOLD_TIMEOUT" \
	--retry 2 --retry-delay 5 -H 'Content-Type: text/plain' -H @- --data-binary "@$tmp" -o "$tmp.body"
[ -z "${SKJOLD_CACERT:-}" ] || set -- "$@" --cacert "$SKJOLD_CACERT"
rc=0
printf 'Authorization: Bearer %s\n' "$SKJOLD_TOKEN" | curl "$@" "$url" 2>"$tmp.part" || rc=$?
if [ "$rc" -eq 0 ]; then exit 0; fi
if [ "$rc" -eq 22 ]; then
	printf '%s: Skjold refused the upload: %s\n' "$PROG" "$(head -c 4000 "$tmp.body" 2>/dev/null)" >&2
	exit 4
fi
die 5 "could not reach $url (curl exit $rc): $(head -c 1000 "$tmp.part")"
