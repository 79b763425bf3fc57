# Signoff's two set-up commands. Both install whatever is missing on Debian 12 first.
#   make run   build and start the desktop app (ARGS="..." are passed to it)
#   make test  install, build, and run every test
#   make fuzz  run each fuzz target for FUZZ_SECONDS (default 30) and fail on any crash
#   make bench install, build release binaries, and run the benchmarks (BENCHMARKS.md)
#   make package  release build and the .deb (Tauri bundler); prints the .deb's path
.PHONY: run test fuzz bench package build check fmt clippy clean

ARGS ?=

run:
	scripts/run-app.sh $(ARGS)

test:
	scripts/test.sh

fuzz:
	scripts/fuzz.sh

bench:
	scripts/bench.sh $(ARGS)

package:
	scripts/package.sh

build:
	cargo build --workspace --bins

fmt:
	cargo fmt --all

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

clean:
	cargo clean
