#!/usr/bin/env bash
# `make run`: checks for a display first (so it fails fast and clearly without one), installs what
# is missing, builds, and starts the desktop app on the person's real data dir and keychain.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "make run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set)." >&2
  echo "Run it from a desktop session, or use the 'signoff' command (target/debug/signoff)." >&2
  exit 2
fi
scripts/install-deps.sh run
cargo build --workspace --bins
for arg in "$@"; do
  if [ "$arg" = "--demo" ]; then
    # Demo providers and sample accounts, in a throwaway data dir and a throwaway keyring.
    cargo build -p signoff-app --features demo
    exec scripts/session.sh --display target/debug/signoff-app "$@"
  fi
done
exec target/debug/signoff-app "$@"
