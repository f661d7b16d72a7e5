# blockforge — the two commands a newcomer needs: `make run` and `make test`.
# Both install what they need (the wasm32-wasip2 target) and build incrementally.

# Keep build outputs outside the clone so CI and later sessions reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/blockforge/target
CARGO ?= cargo
BIN := $(CARGO_TARGET_DIR)/debug/blockforge
RELEASE_BIN := $(CARGO_TARGET_DIR)/release/blockforge
# Tests run in parallel, bounded to the machine's cores.
TEST_THREADS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run build test bench setup lint fmt

setup:
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

build: setup
	$(CARGO) build -p blockforge

# Starts the server (builtin blocks, SQLite in data/); other commands: `make run ARGS="blocks"`.
run: build
	$(BIN) $(or $(ARGS),serve)

test: setup
	$(CARGO) build -p blockforge --bins
	$(CARGO) test --workspace -- --test-threads=$(TEST_THREADS)

bench: setup
	$(CARGO) build --release -p blockforge -p blockforge-tests --bins
	$(CARGO_TARGET_DIR)/release/bench --blockforge $(RELEASE_BIN)

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/wasm-guests $(CARGO) clippy --manifest-path plugins/Cargo.toml --target wasm32-wasip2 --release -- -D warnings
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/wasm-fixtures $(CARGO) clippy --manifest-path tests/fixtures/Cargo.toml --target wasm32-wasip2 --release -- -D warnings

fmt:
	$(CARGO) fmt --all
