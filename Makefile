# Signoff's two set-up commands. Both install whatever is missing on Debian 12 first.
#   make run   build and start the desktop app (ARGS="..." are passed to it)
#   make test  install, build, and run every test
.PHONY: run test build check fmt clippy clean

ARGS ?=

run:
	scripts/run-app.sh $(ARGS)

test:
	scripts/test.sh

build:
	cargo build --workspace --bins

fmt:
	cargo fmt --all

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

clean:
	cargo clean
