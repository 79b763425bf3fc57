#!/usr/bin/env bash
# `make bench`: installs what is missing (Debian 12), builds the release binaries and the bench
# driver, then runs the benchmarks of BENCHMARKS.md inside a private desktop session
# (scripts/session.sh: D-Bus, unlocked gnome-keyring, Xvfb, throwaway HOME).
#   scripts/bench.sh [signout] [list] [bulk] [app] [scan]     (no name: all five)
# Figures: one RESULT line each, on stdout and in target/bench/results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
step() { printf '\n==> %s\n' "$*" >&2; }

step "install missing dependencies"
scripts/install-deps.sh test
missing=()
for p in wrk hyperfine time curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

step "build the release binaries and the bench driver"
cargo build --release --locked --workspace --bins

step "run the benchmarks in a private session"
mkdir -p target/bench
: > target/bench/results.txt
scripts/session.sh target/release/signoff-bench "$@"
step "figures in target/bench/results.txt"
