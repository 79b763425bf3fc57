#!/usr/bin/env bash
# Type-checks the page: TypeScript over ui/ (each module is `// @ts-check`, against the IPC types in
# ui/types/; settings in ui/tsconfig.json), emitting nothing. Fails on any type error. Needs the npm
# test tooling (scripts/install-deps.sh test runs `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  printf 'check-ui: no TypeScript in node_modules: run scripts/install-deps.sh test (or npm ci)\n' >&2
  exit 1
fi
npx --no-install tsc -p ui
