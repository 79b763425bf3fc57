#!/usr/bin/env bash
# Type-checks the page against the core's IPC types, and checks the providers' icons.
#   scripts/check-ui.sh          fail when ui/types/ is not what the Rust types generate, then tsc
#   scripts/check-ui.sh --write  regenerate ui/types/ from the Rust types, then tsc
# The types come from ts-rs (`#[derive(TS)]` behind signoff-core's `ts` feature): its
# `export_bindings` tests write one file a type into TS_RS_EXPORT_DIR. Then TypeScript checks
# ui/ (each module is `// @ts-check`; settings in ui/tsconfig.json), emitting nothing. Needs the
# npm test tooling (scripts/install-deps.sh test runs `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."

write=false
case "${1-}" in
  --write) write=true ;;
  "") ;;
  *) printf 'usage: scripts/check-ui.sh [--write]\n' >&2; exit 2 ;;
esac

# The files in ui/types/ written by hand: this note, and the shell's own types (src-tauri), which
# the core does not generate.
hand_written=(README.md FirstView.ts)

if [ ! -x node_modules/.bin/tsc ]; then
  printf 'check-ui: no TypeScript in node_modules: run scripts/install-deps.sh test (or npm ci)\n' >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/types"
if ! TS_RS_EXPORT_DIR="$tmp/types" cargo test -p signoff-core --features ts --lib export_bindings \
  --locked -q >"$tmp/cargo.log" 2>&1; then
  cat "$tmp/cargo.log" >&2
  printf 'check-ui: generating the IPC types (ts-rs) failed\n' >&2
  exit 1
fi

excludes=()
for f in "${hand_written[@]}"; do excludes+=(-x "$f"); done
if $write; then
  for f in ui/types/*; do
    keep=false
    for h in "${hand_written[@]}"; do [ "$f" = "ui/types/$h" ] && keep=true; done
    $keep || rm -f "$f"
  done
  cp "$tmp"/types/* ui/types/
  printf 'check-ui: wrote ui/types/ from the Rust types\n'
elif ! diff -ru "${excludes[@]}" "$tmp/types" ui/types >"$tmp/types.diff"; then
  sed "s|$tmp/types|generated|g" "$tmp/types.diff" >&2
  printf 'check-ui: ui/types is stale: run scripts/check-ui.sh --write\n' >&2
  exit 1
fi

npx --no-install tsc -p ui
# The providers' icons are committed; they must be what scripts/icons.sh writes.
scripts/icons.sh --check
