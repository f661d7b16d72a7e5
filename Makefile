# blockforge — the two commands a newcomer needs: `make run` and `make test`.
# Both install what they need (the wasm32-wasip2 target) and build incrementally.

# Keep build outputs outside the clone so CI and later sessions reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/blockforge/target
CARGO ?= cargo
BIN := $(CARGO_TARGET_DIR)/debug/blockforge
RELEASE_BIN := $(CARGO_TARGET_DIR)/release/blockforge
# Tests run in parallel, bounded to the machine's cores.
TEST_THREADS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run build test bench setup lint fmt web e2e-setup

setup:
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

# The web UI (web/): `npm ci` when the lock file changed, `npm run build` into web/dist when a
# source changed. The server serves web/dist at / (embedded in release builds).
WEB_DEPS := web/node_modules/.package-lock.json
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) $(wildcard web/index.html web/vite.config.ts web/tsconfig*.json web/package.json)

ifneq ($(wildcard web/package.json),)
web: web/dist/index.html
else
web:
	@echo "web/ has no package.json yet: the UI is not built"
endif

$(WEB_DEPS): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run build
	@touch $@

# The browser tests: playwright-core (tests/e2e) driving Debian's Chromium, installed when missing.
E2E_DEPS := tests/e2e/node_modules/.package-lock.json
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(E2E_DEPS): tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund
	@touch $@

e2e-setup: $(E2E_DEPS)
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

build: setup web
	$(CARGO) build -p blockforge

# Starts the server (builtin blocks, SQLite in data/); other commands: `make run ARGS="blocks"`.
run: build
	$(BIN) $(or $(ARGS),serve)

test: setup web e2e-setup
	$(CARGO) build -p blockforge --bins
	@if [ -f web/package.json ]; then cd web && npm test; fi
	$(CARGO) test --workspace -- --test-threads=$(TEST_THREADS)
	# The builtin blocks' pure logic, natively (no host), in a target dir of its own.
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/native-plugins $(CARGO) test --manifest-path plugins/Cargo.toml --workspace

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
