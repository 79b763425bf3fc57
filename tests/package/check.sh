#!/usr/bin/env bash
# The package test (scripts/test.sh runs it; alone: tests/package/check.sh). Builds the .deb with
# scripts/package.sh --debug, from the dev build `make test` already made (about 10 s here; a
# release LTO build from scratch took about 26 minutes on the same machine, see package.sh), and
# checks it WITHOUT installing it into the machine:
#   control fields and contents (dpkg-deb -f / -c), no maintainer scripts, the third-party
#   licences (every crate `cargo tree` says the binaries link, each with its licence), lintian,
#   the desktop entry (desktop-file-validate), the metainfo (appstreamcli validate), every man
#   page rendered by man with warnings as failures, the completions parsed and loaded by bash,
#   zsh and fish, then the binaries unpacked with dpkg -x into a temporary root and run from
#   there: `signoff --version`, and the app under Xvfb showing its window.
#   tests/package/check.sh [DEB]   checks DEB instead (e.g. the one `make package` made); the
#                                  release package has no lintian tag to suppress at all
# Installs what it needs (scripts/install-deps.sh package-test). Prints one line per check, then
# "package: N passed, N failed"; exits 1 when a check failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/      /'; }
# check NAME COMMAND...: passes when COMMAND exits 0; its output is shown when it does not.
check() {
  local name=$1 output
  shift
  if output=$("$@" 2>&1); then ok "$name"; else bad "$name" "$output"; fi
}

scripts/install-deps.sh package-test || exit 1
version=$(python3 -c 'import json; print(json.load(open("src-tauri/tauri.conf.json"))["version"])')

lintian_suppress=()
if [ $# -gt 0 ]; then
  deb=$1
else
  start=$(date +%s)
  if ! deb=$(scripts/package.sh --debug | tail -n 1) || [ ! -f "$deb" ]; then
    bad "scripts/package.sh --debug makes a .deb"
    echo "package: $passed passed, $failed failed"
    exit 1
  fi
  ok "scripts/package.sh --debug makes $(basename "$deb") in $(($(date +%s) - start)) s ($(du -h "$deb" | cut -f1))"
  # The dev build keeps its symbols; the release package is stripped ([profile.release]).
  lintian_suppress=(--suppress-tags unstripped-binary-or-object)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/signoff-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./##; s#/$##' | sort > "$work/contents"

# --- control fields
field() { dpkg-deb -f "$deb" "$1"; }
check "Package is signoff" test "$(field Package)" = signoff
check "Version is $version (tauri.conf.json)" test "$(field Version)" = "$version"
check "Architecture is amd64" test "$(field Architecture)" = amd64
check "Maintainer is a name and an address" grep -Eq '^[^<]+ <[^>]+@[^>]+>$' <<< "$(field Maintainer)"
depends=$(field Depends)
for lib in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1 libc6; do
  check "Depends names $lib" grep -Eq "(^|, )$lib( |,|$)" <<< "$depends"
done
check "Recommends a Secret Service: gnome-keyring | keepassxc" \
  test "$(field Recommends)" = "gnome-keyring | keepassxc"

# --- contents
expect_file() { check "installs /$1" grep -qxF "$1" "$work/contents"; }
for f in usr/bin/signoff-app usr/bin/signoff usr/share/applications/Signoff.desktop \
  usr/share/metainfo/dev.signoff.app.metainfo.xml usr/share/doc/signoff/copyright \
  usr/share/doc/signoff/changelog.gz usr/share/doc/signoff/third-party-licences.txt.gz \
  usr/share/man/man1/signoff.1.gz \
  usr/share/man/man1/signoff-app.1.gz usr/share/bash-completion/completions/signoff \
  usr/share/zsh/vendor-completions/_signoff usr/share/fish/vendor_completions.d/signoff.fish; do
  expect_file "$f"
done
# Every PNG of bundle.icon, in the hicolor directory the bundler makes for its size.
for size in 32x32 64x64 128x128 256x256@2 512x512; do
  expect_file "usr/share/icons/hicolor/$size/apps/signoff-app.png"
done
check "every file is under /usr (nothing in /etc, /var, /opt or home)" \
  bash -c '! grep -Ev "^(\.|usr|usr/.*)$" "$1"' _ "$work/contents"
control_files=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed 's#^\./##' | grep -v '^$' | sort | tr '\n' ' ')
check "no maintainer scripts or conffiles (control, md5sums only)" \
  test "$control_files" = "control md5sums "

# --- the third-party licences (scripts/third-party-licences.py): an entry per crate linked into
# the binaries, "Crate: NAME VERSION" after a line of 78 "=", then its licence files' texts, each
# under "----- FILE -----", or the line saying the standard text of its licence applies.
licences="$work/third-party-licences.txt"
gzip -dc "$root/usr/share/doc/signoff/third-party-licences.txt.gz" > "$licences" 2>/dev/null ||
  : > "$licences"
licence_entries() { sed -n 's/^Crate: //p' "$licences" | LC_ALL=C sort -u; }
for crate in tauri rusqlite reqwest rustls ring clap tokio; do
  check "third-party licences name $crate" grep -q "^Crate: $crate [0-9]" "$licences"
done
lists_no_own_package() { ! grep -E '^Crate: signoff(-[a-z-]+)? ' "$licences"; }
check "third-party licences leave out Signoff's own packages" lists_no_own_package
# The crates the two binaries link, found without the script: cargo tree's own feature resolution
# for the two packages (the script's cargo metadata adds up the whole workspace's features, so it
# may list more), normal dependencies only, proc-macros left out; workspace members show their
# path. From this checkout's Cargo.lock, so a DEB given as argument must come from it too.
linked_crates() {
  cargo tree --locked -e normal,no-proc-macro --target x86_64-unknown-linux-gnu \
    -p signoff-app -p signoff-cli --prefix none --format '{p}' |
    awk 'NF >= 2 && $3 !~ /^\(\// { sub(/^v/, "", $2); print $1, $2 }' | LC_ALL=C sort -u
}
names_every_linked_crate() {
  local linked missing
  linked=$(linked_crates) || return 1
  [ "$(wc -l <<< "$linked")" -gt 100 ] ||
    { printf 'cargo tree listed only:\n%s\n' "$linked"; return 1; }
  missing=$(LC_ALL=C comm -23 <(printf '%s\n' "$linked") <(licence_entries))
  [ -z "$missing" ] || {
    printf '%s not in the file, e.g.:\n%s\n' "$(wc -l <<< "$missing")" "$(head -n 20 <<< "$missing")"
    return 1
  }
}
check "third-party licences name every crate cargo tree says the binaries link" \
  names_every_linked_crate
every_entry_has_a_licence() {
  local without
  without=$(awk 'BEGIN { rule = sprintf("%78s", ""); gsub(/ /, "=", rule) }
    prev == rule && /^Crate: / {
      if (crate != "" && !text) print crate
      crate = substr($0, 8); text = 0
    }
    crate != "" && /^----- .+ -----$/ { text = 1 }
    crate != "" && /^No licence file in the crate; the standard text of .+ applies\.$/ { text = 1 }
    { prev = $0 }
    END { if (crate == "") print "(no crate entries)"; else if (!text) print crate }' "$licences")
  [ -z "$without" ] ||
    { printf 'no licence text nor standard-text line:\n%s\n' "$without"; return 1; }
}
check "every crate entry has a licence text or says the standard text applies" \
  every_entry_has_a_licence

# --- lintian: the package's own overrides file (packaging/lintian-overrides) says why each
# tag it silences stays.
check "lintian: no error or warning" lintian --fail-on error,warning "${lintian_suppress[@]}" "$deb"

# --- the desktop entry and the metainfo
desktop="$root/usr/share/applications/Signoff.desktop"
check "desktop-file-validate Signoff.desktop" bash -c \
  'out=$(desktop-file-validate "$1" 2>&1); [ -z "$out" ] || { echo "$out"; exit 1; }' _ "$desktop"
check "the desktop entry has the keywords" \
  grep -qxF 'Keywords=logout;sign out;session;revoke;token;' "$desktop"
check "the desktop entry starts /usr/bin/signoff-app" grep -qx 'Exec=signoff-app' "$desktop"
# --no-net: offline (the screenshot URLs are not fetched); --strict: warnings fail too.
check "appstreamcli validate metainfo" \
  appstreamcli validate --no-net --strict "$root/usr/share/metainfo/dev.signoff.app.metainfo.xml"
check "appstreamcli validate-tree: the metainfo's desktop entry and icons are in the package" \
  appstreamcli validate-tree --no-net --strict "$root"

# --- man pages: each renders with no warning (the way lintian's manpage check runs man).
pages=("$root"/usr/share/man/man1/*.1.gz)
for page in "${pages[@]}"; do
  check "man renders $(basename "$page") without warnings" bash -c \
    'out=$(LC_ALL=C.UTF-8 MANROFFSEQ="" MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$1" 2>&1 >/dev/null); [ -z "$out" ] || { echo "$out"; exit 1; }' \
    _ "$page"
done
# One page per visible subcommand: those `signoff --help` lists.
subcommands=$("$root/usr/bin/signoff" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && $1 != "help" {print $1}')
for sub in $subcommands; do
  expect_file "usr/share/man/man1/signoff-$sub.1.gz"
done
check "signoff(1) names the subcommands" bash -c \
  'man -l -Tutf8 "$1" 2>/dev/null | col -b | grep -q "signoff-signout(1)"' _ "$root/usr/share/man/man1/signoff.1.gz"
check "signoff-app(1) documents --hidden and --version" bash -c \
  'text=$(man -l -Tutf8 "$1" 2>/dev/null | col -b); grep -q -- "--hidden" <<< "$text" && grep -q -- "--version" <<< "$text"' \
  _ "$root/usr/share/man/man1/signoff-app.1.gz"

# --- completions: parse, then load and complete a subcommand.
bash_comp="$root/usr/share/bash-completion/completions/signoff"
check "bash -n completions" bash -n "$bash_comp"
check "bash completion offers signout for 'signoff sig'" bash -c \
  'source "$1"; COMP_WORDS=(signoff sig); COMP_CWORD=1; COMP_LINE="signoff sig"; COMP_POINT=11
   _signoff signoff sig signoff; printf "%s\n" "${COMPREPLY[@]}" | grep -qx signout' _ "$bash_comp"
if command -v zsh >/dev/null; then
  check "zsh -n completions" zsh -n "$root/usr/share/zsh/vendor-completions/_signoff"
  check "zsh registers _signoff for signoff" bash -c \
    'test "$(HOME="$2" zsh -fc "autoload -Uz compinit && compinit -u -D; source $1; print -r -- \${_comps[signoff]}")" = _signoff' \
    _ "$root/usr/share/zsh/vendor-completions/_signoff" "$work"
else
  bad "zsh -n completions" "zsh is not installed (scripts/install-deps.sh package-test installs it)"
fi
if command -v fish >/dev/null; then
  fish_comp="$root/usr/share/fish/vendor_completions.d/signoff.fish"
  check "fish -n completions" fish -n "$fish_comp"
  check "fish completion offers signout for 'signoff sig'" bash -c \
    'fish --no-config -c "source $1; complete -C \"signoff sig\"" | cut -f1 | grep -qx signout' _ "$fish_comp"
else
  bad "fish -n completions" "fish is not installed (scripts/install-deps.sh package-test installs it)"
fi

# --- the unpacked binaries, run from the temporary root
check "unpacked signoff -V prints signoff $version" \
  test "$("$root/usr/bin/signoff" -V)" = "signoff $version"
check "unpacked signoff --version names the licences" bash -c \
  'out=$("$1" --version); grep -q "Licence: MIT OR Apache-2.0" <<< "$out" && grep -q "CC0-1.0" <<< "$out"' \
  _ "$root/usr/bin/signoff"
check "unpacked signoff-app --version, without a display, names the licences" bash -c \
  'out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$1" --version); grep -q "^signoff-app $2$" <<< "$out" && grep -q "Licence: MIT OR Apache-2.0" <<< "$out"' \
  _ "$root/usr/bin/signoff-app" "$version"
check "the unpacked signoff-app shows its window under Xvfb" \
  scripts/session.sh tests/package/app-window.sh "$root/usr/bin/signoff-app"

echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
