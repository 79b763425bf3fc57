#!/usr/bin/env bash
# `make test`: installs what is missing, checks formatting and lints, builds, then runs every test
# (unit, integration against the real gnome-keyring, WebDriver end-to-end) in a private headless
# desktop session, after the package test and a short run of each fuzz target. The last line is the test runner's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
step() { printf '\n==> %s\n' "$*" >&2; }

step "install missing dependencies"
scripts/install-deps.sh test
step "cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --all --manifest-path tests/fuzz/Cargo.toml -- --check
step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p signoff-app --features demo --locked -- -D warnings
step "cargo deny: licences, bans, sources, advisories (scripts/deny.sh)" && scripts/deny.sh
step "tsc --noEmit over the page (scripts/check-ui.sh)" && scripts/check-ui.sh
step "build the binaries the tests run (and the demo build of the app, kept beside it)"
cargo build -p signoff-app --features demo --locked
cp target/debug/signoff-app target/debug/signoff-app-demo
cargo build --workspace --bins --locked
step "the .deb from that build, checked without installing it (tests/package/check.sh)"
tests/package/check.sh
step "fuzz each target briefly (scripts/fuzz.sh; longer runs: make fuzz FUZZ_SECONDS=600)"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh
step "run every test in a private session (dbus-run-session, xvfb-run, gnome-keyring)"
scripts/session.sh cargo nextest run --workspace --locked --no-fail-fast "$@"
