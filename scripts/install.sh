#!/usr/bin/env bash
# Installs a prebuilt golive release: picks the archive for this OS and architecture,
# verifies it against the release's SHA256SUMS (refusing on a mismatch or a missing
# line), unpacks it, installs the binary and prints `golive --version`.
#
# Usage:
#   install.sh [--version latest|vX.Y.Z] [--dir DIR] [--repo OWNER/NAME]
#   install.sh --print-target                   the Rust target triple for this platform
#   install.sh --print-asset --version vX.Y.Z   the archive name for this platform
#   install.sh --print-url [--version ...]      where the archive would be downloaded from
#   install.sh --resolve-version [--version latest]   latest -> the newest release's tag
#
# Environment (the options win):
#   GOLIVE_VERSION            latest (default) or a tag such as v0.1.0
#   GOLIVE_INSTALL_DIR        where the binary goes (default: $HOME/.local/bin)
#   GOLIVE_REPO               OWNER/NAME of the repository golive is released from; in the
#                             composite action it defaults to the action's own repository
#   GOLIVE_RELEASE_BASE_URL   default https://github.com/$GOLIVE_REPO/releases; serves
#                             latest (a redirect to .../tag/TAG) and download/TAG/FILE
#   GOLIVE_OS, GOLIVE_ARCH    override `uname -s` and `uname -m` (Linux, Darwin, MINGW*,
#                             MSYS*, Windows_NT; x86_64, amd64, aarch64, arm64)
#   GOLIVE_CURL_TIMEOUT       seconds allowed per download attempt (default 120)
#   GOLIVE_CURL_RETRIES       retries of a transient download failure (default 3)
#
# Exit status: 0 installed (or printed), 1 refused or failed, 2 usage error.
set -euo pipefail

me="golive install"
die() { echo "$me: error: $*" >&2; exit 1; }
usage() { echo "$me: $*" >&2; echo "usage: install.sh [--version latest|vX.Y.Z] [--dir DIR] [--repo OWNER/NAME] [--print-target|--print-asset|--print-url|--resolve-version]" >&2; exit 2; }

version=${GOLIVE_VERSION:-latest}
dir=${GOLIVE_INSTALL_DIR:-${HOME:-.}/.local/bin}
repo=${GOLIVE_REPO:-}
mode=install
while [ $# -gt 0 ]; do
  case $1 in
    --version) [ $# -ge 2 ] || usage "--version needs a value"; version=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || usage "--dir needs a value"; dir=$2; shift 2 ;;
    --repo) [ $# -ge 2 ] || usage "--repo needs a value"; repo=$2; shift 2 ;;
    --print-target) mode=target; shift ;;
    --print-asset) mode=asset; shift ;;
    --print-url) mode=url; shift ;;
    --resolve-version) mode=resolve; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage "unknown argument: $1" ;;
  esac
done

# --- platform -> Rust target triple (the release workflow's matrix builds exactly these)
os_raw=${GOLIVE_OS:-$(uname -s)}
arch_raw=${GOLIVE_ARCH:-$(uname -m)}
case $os_raw in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW*|MSYS*|CYGWIN*|Windows_NT) os=windows ;;
  *) die "unsupported operating system '$os_raw': golive releases are built for Linux, macOS and Windows; build from source instead (cargo install --locked --git ...)" ;;
esac
case $arch_raw in
  x86_64|amd64|AMD64|x64) arch=x86_64 ;;
  aarch64|arm64|ARM64) arch=aarch64 ;;
  *) die "unsupported architecture '$arch_raw': golive releases are built for x86_64 and aarch64; build from source instead (cargo install --locked --git ...)" ;;
esac
case $os-$arch in
  linux-x86_64) target=x86_64-unknown-linux-musl ;;
  linux-aarch64) target=aarch64-unknown-linux-musl ;;
  darwin-x86_64) target=x86_64-apple-darwin ;;
  darwin-aarch64) target=aarch64-apple-darwin ;;
  windows-x86_64) target=x86_64-pc-windows-msvc ;;
  *) die "unsupported platform '$os_raw $arch_raw': no golive release is built for it; build from source instead (cargo install --locked --git ...)" ;;
esac
if [ "$os" = windows ]; then ext=zip; exe=golive.exe; else ext=tar.gz; exe=golive; fi

if [ "$mode" = target ]; then echo "$target"; exit 0; fi

# --- versions: latest or vX.Y.Z[-pre]
case $version in
  latest) ;;
  v[0-9]*.[0-9]*.[0-9]*) ;;
  [0-9]*.[0-9]*.[0-9]*) version=v$version ;;
  *) usage "version must be 'latest' or a release tag such as v0.1.0, not '$version'" ;;
esac
case $version in *[!A-Za-z0-9.+-]*) usage "version '$version' has characters a release tag cannot have" ;; esac

asset() { echo "golive-$1-$target.$ext"; }
if [ "$mode" = asset ]; then
  [ "$version" != latest ] || usage "--print-asset needs a concrete --version (the archive name contains it)"
  asset "$version"; exit 0
fi

# --- where releases are served from
base=${GOLIVE_RELEASE_BASE_URL:-}
if [ -z "$base" ]; then
  if [ -z "$repo" ] && [ -n "${GOLIVE_ACTION_PATH:-}" ]; then
    # A composite action cannot rely on github.action_repository; its checkout lives at
    # .../_actions/OWNER/NAME/REF/... (a local `uses: ./...` action is the workspace).
    p=${GOLIVE_ACTION_PATH//\\//}
    case $p in
      */_actions/*/*/*) rest=${p#*/_actions/}; owner=${rest%%/*}; rest=${rest#*/}; repo=$owner/${rest%%/*} ;;
      *) repo=${GITHUB_REPOSITORY:-} ;;
    esac
  fi
  [ -n "$repo" ] || die "no repository to download from: set GOLIVE_REPO=OWNER/NAME (or --repo), the GitHub repository golive is released from"
  case $repo in
    */*) ;;
    *) usage "repository must be OWNER/NAME, not '$repo'" ;;
  esac
  case $repo in *[!A-Za-z0-9._/-]*|*/*/*) usage "repository must be OWNER/NAME, not '$repo'" ;; esac
  base=https://github.com/$repo/releases
fi
base=${base%/}
case $base in *@*|*[[:space:]]*) die "refusing to download from '$base': no credentials or spaces in the URL" ;; esac
case $base in
  https://*) ;;
  http://127.0.0.1[:/]*|http://127.0.0.1|http://localhost[:/]*|http://localhost|http://\[::1\]*) ;;
  *) die "refusing to download from '$base': only https (or http on loopback, for tests) is allowed" ;;
esac

command -v curl >/dev/null 2>&1 || die "curl is needed to download golive"
timeout=${GOLIVE_CURL_TIMEOUT:-120}
retries=${GOLIVE_CURL_RETRIES:-3}
connect=$(( timeout < 10 ? timeout : 10 ))
fetch() { # fetch URL FILE
  curl --fail --silent --show-error --location --proto '=https,http' --proto-redir '=https' \
    --connect-timeout "$connect" --max-time "$timeout" \
    --retry "$retries" --retry-delay 1 \
    --output "$2" "$1"
}

resolve_latest() {
  # GitHub answers /releases/latest with a redirect to /releases/tag/TAG.
  local url tag
  url=$(curl --fail --silent --show-error --proto '=https,http' \
    --connect-timeout "$connect" --max-time "$timeout" --retry "$retries" --retry-delay 1 \
    --output /dev/null --write-out '%{redirect_url}' "$base/latest") \
    || die "could not ask $base/latest for the newest release"
  tag=${url##*/tag/}
  case $url in
    */tag/*) ;;
    *) die "$base/latest did not redirect to a release tag (is there a published release?)" ;;
  esac
  case $tag in
    v[0-9]*.[0-9]*.[0-9]*) ;;
    *) die "the newest release's tag '$tag' is not a version tag such as v0.1.0" ;;
  esac
  case $tag in *[!A-Za-z0-9.+-]*) die "the newest release's tag '$tag' has characters a release tag cannot have" ;; esac
  echo "$tag"
}

if [ "$version" = latest ]; then version=$(resolve_latest); fi
if [ "$mode" = resolve ]; then echo "$version"; exit 0; fi

name=$(asset "$version")
url=$base/download/$version/$name
sums_url=$base/download/$version/SHA256SUMS
if [ "$mode" = url ]; then echo "$url"; exit 0; fi

# --- download, verify, unpack, install
if command -v sha256sum >/dev/null 2>&1; then sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else die "sha256sum or shasum is needed to verify the download"
fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t golive)
trap 'rm -rf "$tmp"' EXIT

echo "$me: golive $version for $target"
fetch "$url" "$tmp/$name" \
  || die "could not download $name from $url (does release $version exist, with an asset for $target?)"
fetch "$sums_url" "$tmp/SHA256SUMS" \
  || die "could not download SHA256SUMS from $sums_url; refusing to install an unverified archive"

# The line for exactly this file name ("HASH  NAME", or "HASH *NAME" in binary mode).
expected=$(awk -v n="$name" '{ sub(/\r$/, ""); f = $2; sub(/^\*/, "", f) } f == n && NF == 2 { print tolower($1) }' "$tmp/SHA256SUMS")
case $expected in
  "") die "SHA256SUMS of $version has no line for $name; refusing to install an unverified archive" ;;
  *[!0-9a-f]*) die "SHA256SUMS of $version has more than one line, or a malformed one, for $name; refusing to install" ;;
esac
[ ${#expected} -eq 64 ] || die "SHA256SUMS of $version has a malformed checksum for $name; refusing to install"
actual=$(sha256 "$tmp/$name" | tr 'A-F' 'a-f')
if [ "$actual" != "$expected" ]; then
  die "checksum mismatch for $name: SHA256SUMS says $expected, the download is $actual; refusing to install (a corrupted or tampered download)"
fi
echo "$me: verified $name (sha256 $actual)"

mkdir "$tmp/unpacked"
if [ "$ext" = zip ]; then
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$tmp/$name" -d "$tmp/unpacked" || die "could not unpack $name"
  else
    powershell.exe -NoProfile -NonInteractive -Command \
      "Expand-Archive -LiteralPath '$(cygpath -w "$tmp/$name")' -DestinationPath '$(cygpath -w "$tmp/unpacked")'" \
      || die "could not unpack $name (neither unzip nor PowerShell's Expand-Archive worked)"
  fi
else
  tar -xzf "$tmp/$name" -C "$tmp/unpacked" || die "could not unpack $name"
fi
bin=$tmp/unpacked/golive-$version-$target/$exe
[ -f "$bin" ] || die "$name does not contain golive-$version-$target/$exe"

mkdir -p "$dir" || die "could not create the install directory $dir"
staged=$dir/.$exe.tmp.$$
if ! { cp "$bin" "$staged" && chmod 755 "$staged" && mv -f "$staged" "$dir/$exe"; }; then
  rm -f "$staged"
  die "could not install golive into $dir"
fi
echo "$me: installed $dir/$exe"
"$dir/$exe" --version
