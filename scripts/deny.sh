#!/usr/bin/env bash
# Supply-chain checks of the Rust dependency graph with cargo-deny (deny.toml): licences, banned
# crates and sources always; RustSec advisories when the advisory database can be had. Without it
# (no route to its git host) this says so loudly and goes on: a skipped check is not a pass.
#   scripts/deny.sh                       what `make test` runs
#   SIGNOFF_ADVISORY_DB=DIR scripts/deny.sh   check advisories against a local clone of the
#                                         RustSec advisory-db (offline)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

cargo deny --log-level error check --hide-inclusion-graph bans licenses sources

if [ -n "${SIGNOFF_ADVISORY_DB:-}" ]; then
  dbs=$(mktemp -d)
  trap 'rm -rf "$dbs"' EXIT
  # cargo-deny keeps each database in <db-path>/<name>-<hash of its URL>; this is the default one's.
  git clone -q "$SIGNOFF_ADVISORY_DB" "$dbs/advisory-db-3157b0e258782691"
  sed "s#^\[advisories\]#[advisories]\ndb-path = \"$dbs\"#" deny.toml > "$dbs/deny.toml"
  cargo deny --offline --log-level error --config "$dbs/deny.toml" check --hide-inclusion-graph advisories
elif timeout 120 cargo deny --log-level error fetch db >/dev/null 2>&1; then
  cargo deny --log-level error check --hide-inclusion-graph advisories
else
  printf '\n*** advisories NOT CHECKED: the RustSec advisory database could not be fetched from here.\n' >&2
  printf '*** Run SIGNOFF_ADVISORY_DB=<clone of rustsec/advisory-db> scripts/deny.sh where you have one.\n\n' >&2
fi
