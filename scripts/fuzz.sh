#!/usr/bin/env bash
# `make fuzz`: runs every cargo-fuzz target (tests/fuzz) for a short while and fails on any crash,
# panic, timeout or out-of-memory. Installs cargo-fuzz when it is missing. Works on the stable
# toolchain (RUSTC_BOOTSTRAP=1 unlocks the -Z flags cargo-fuzz needs) as well as on nightly.
#
#   FUZZ_SECONDS=30          how long each target runs (seconds)
#   FUZZ_TARGETS="a b"       which targets (default: all of tests/fuzz/fuzz_targets)
#   FUZZ_SANITIZER=address   address (default) or none (faster; memory checked by RSS only)
#   FUZZ_RSS_MB=2048         libFuzzer -rss_limit_mb: the whole process
#   FUZZ_MALLOC_MB=128       libFuzzer -malloc_limit_mb: any single allocation (needs ASan's hooks)
#
# New inputs the fuzzer finds go to tests/fuzz/target/corpus/<target> (not committed); the
# committed seeds in tests/fuzz/corpus/<target> are only read. A crash is saved under
# tests/fuzz/artifacts/<target>/ and the command to replay it is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

FUZZ_DIR=tests/fuzz
seconds=${FUZZ_SECONDS:-30}
sanitizer=${FUZZ_SANITIZER:-address}
rss_mb=${FUZZ_RSS_MB:-2048}
malloc_mb=${FUZZ_MALLOC_MB:-128}
if [[ -n ${FUZZ_TARGETS:-} ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    targets=()
    for f in "$FUZZ_DIR"/fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi
if ! rustc --version | grep -q -- -nightly; then
    # cargo-fuzz passes -Z flags (sanitizer, coverage instrumentation); stable accepts them so.
    export RUSTC_BOOTSTRAP=1
fi

build=(--fuzz-dir "$FUZZ_DIR" --sanitizer "$sanitizer")
echo "==> cargo fuzz build (${sanitizer} sanitizer)" >&2
cargo fuzz build "${build[@]}"

failed=()
for t in "${targets[@]}"; do
    work="$FUZZ_DIR/target/corpus/$t"
    mkdir -p "$work" "$FUZZ_DIR/artifacts/$t"
    echo "==> fuzz $t for ${seconds}s" >&2
    # Bodies are cut to 64 KiB and provider files are small: 66 KiB covers every input shape.
    if ! cargo fuzz run "${build[@]}" "$t" "$work" "$FUZZ_DIR/corpus/$t" -- \
        -max_total_time="$seconds" -max_len=67584 -timeout=10 \
        -rss_limit_mb="$rss_mb" -malloc_limit_mb="$malloc_mb" \
        -dict="$FUZZ_DIR/dict/$t.dict" -print_final_stats=1; then
        failed+=("$t")
    fi
done

if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]} (inputs in $FUZZ_DIR/artifacts/<target>/; replay one with" \
        "cargo fuzz run --fuzz-dir $FUZZ_DIR <target> <file>)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash" >&2
