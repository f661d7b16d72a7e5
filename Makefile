# blockforge — the two commands a newcomer needs: `make run` and `make test`.
# Both install what they need (the wasm32-wasip2 target) and build incrementally.

# Keep build outputs outside the clone so CI and later sessions reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/blockforge/target
CARGO ?= cargo
BIN := $(CARGO_TARGET_DIR)/debug/blockforge
RELEASE_BIN := $(CARGO_TARGET_DIR)/release/blockforge
# Tests run in parallel, bounded to the machine's cores.
TEST_THREADS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run build test bench setup lint fmt web e2e-setup language-blocks openapi python-test-deps

# A recipe that fails removes its target: no half-written .wasm (or web build) passes for
# up to date on the next run.
.DELETE_ON_ERROR:

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


# One block per language (examples/blocks/{rust,python,js}) and the Python/JS error fixtures
# (tests/fixtures/{python,js}), built with their SDKs into $(LANGUAGE_BLOCKS), where
# tests/all/language_blocks.rs finds them. Each is rebuilt only when its sources change; the
# pinned componentize-py (PyPI) and componentize-js (npm) install themselves once into
# $(BLOCKFORGE_TOOLCHAINS).
LANGUAGE_BLOCKS := $(CARGO_TARGET_DIR)/language-blocks
BLOCKFORGE_TOOLCHAINS ?= $(HOME)/.cache/blockforge/toolchains
export BLOCKFORGE_TOOLCHAINS
# The Python and JavaScript SDKs build against 0.1.0; the Rust SDK against 0.2.0 (below).
WIT_FILES := $(wildcard wit/since_v0.1.0/*.wit)
PY_SDK := $(wildcard sdk/python/blockforge/*.py) sdk/python/build_block.py $(WIT_FILES)
JS_SDK := sdk/js/blockforge.js sdk/js/build_block.mjs sdk/js/node_version.mjs sdk/js/toolchain/package-lock.json $(WIT_FILES)

language-blocks: setup $(addprefix $(LANGUAGE_BLOCKS)/,rust_shout.wasm py_shout.wasm js_shout.wasm py_parse_count.wasm js_parse_count.wasm js_with_http.wasm py_host_calls.wasm js_host_calls.wasm py_stdlib_names.wasm)

$(LANGUAGE_BLOCKS)/rust_shout.wasm: examples/blocks/rust/Cargo.toml examples/blocks/rust/Cargo.lock $(wildcard examples/blocks/rust/src/*.rs) sdk/Cargo.toml $(wildcard sdk/src/*.rs) $(wildcard wit/since_v0.2.0/*.wit)
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/wasm-examples $(CARGO) build --locked --release --target wasm32-wasip2 --manifest-path examples/blocks/rust/Cargo.toml
	@mkdir -p $(@D) && cp $(CARGO_TARGET_DIR)/wasm-examples/wasm32-wasip2/release/rust_shout.wasm $@

$(LANGUAGE_BLOCKS)/py_shout.wasm: examples/blocks/python/shout.py $(PY_SDK)
	python3 sdk/python/build_block.py $< -o $@

$(LANGUAGE_BLOCKS)/py_%.wasm: tests/fixtures/python/%.py $(PY_SDK)
	python3 sdk/python/build_block.py $< -o $@

$(LANGUAGE_BLOCKS)/js_shout.wasm: examples/blocks/js/shout.js $(JS_SDK)
	node sdk/js/build_block.mjs $< -o $@

$(LANGUAGE_BLOCKS)/js_%.wasm: tests/fixtures/js/%.js $(JS_SDK)
	node sdk/js/build_block.mjs $< -o $@

# What a newcomer gets from componentize-js's defaults: a component importing wasi:http, which
# the host refuses with a message saying how to rebuild (tested).
$(LANGUAGE_BLOCKS)/js_with_http.wasm: tests/fixtures/js/parse_count.js $(LANGUAGE_BLOCKS)/js_parse_count.wasm
	"$$(node sdk/js/build_block.mjs --install-toolchain)/node_modules/.bin/componentize-js" $< --wit wit/since_v0.1.0 --world-name block --out $@

build: setup web
	$(CARGO) build -p blockforge

# The API's OpenAPI description, committed as web/src/api/openapi.json: the web UI's build makes
# its API types from it (openapi-typescript), and a test fails while it differs from the
# server's. Run after changing an API answer.
openapi: setup
	$(CARGO) build -p blockforge --bin blockforge
	$(BIN) openapi > web/src/api/openapi.json

# Starts the server (builtin blocks, SQLite in data/); other commands: `make run ARGS="blocks"`.
run: build
	$(BIN) $(or $(ARGS),serve)

# pyarrow (PyPI, pinned) reads the Parquet exports back in tests/all/dataset_export.rs.
python-test-deps:
	@python3 -c "import pyarrow" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check "pyarrow==26.0.1"

test: setup web e2e-setup language-blocks python-test-deps
	$(CARGO) build -p blockforge --bins
	@if [ -f web/package.json ]; then cd web && npm test; fi
	$(CARGO) test --workspace -- --test-threads=$(TEST_THREADS)
	# The builtin blocks' pure logic, natively (no host), in a target dir of its own.
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/native-plugins $(CARGO) test --manifest-path plugins/Cargo.toml --workspace

bench: setup language-blocks
	$(CARGO) build --release -p blockforge -p blockforge-tests --bins
	$(CARGO_TARGET_DIR)/release/bench --blockforge $(RELEASE_BIN)

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) fmt --manifest-path plugins/Cargo.toml --all --check
	$(CARGO) fmt --manifest-path tests/fixtures/Cargo.toml --all --check
	$(CARGO) fmt --manifest-path examples/blocks/rust/Cargo.toml --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/wasm-guests $(CARGO) clippy --manifest-path plugins/Cargo.toml --target wasm32-wasip2 --release -- -D warnings
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/wasm-fixtures $(CARGO) clippy --manifest-path tests/fixtures/Cargo.toml --target wasm32-wasip2 --release -- -D warnings
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/wasm-examples $(CARGO) clippy --locked --manifest-path examples/blocks/rust/Cargo.toml --target wasm32-wasip2 --release -- -D warnings

fmt:
	$(CARGO) fmt --all
	$(CARGO) fmt --manifest-path plugins/Cargo.toml --all
	$(CARGO) fmt --manifest-path tests/fixtures/Cargo.toml --all
	$(CARGO) fmt --manifest-path examples/blocks/rust/Cargo.toml --all
