# __TYPE_NAME__, a blockforge block in __LANGUAGE__.
#   make        builds __SNAKE__.wasm
#   make test   builds it and runs it once with `blockforge block test`, checking its output
# Needs __NEEDS__, and blockforge on PATH (or `make test BLOCKFORGE=/path/to/blockforge`).
BLOCKFORGE ?= blockforge
WASM := __SNAKE__.wasm
STATE := {"text": "hello blocks"}

.PHONY: build test
# A failed build leaves no half-written component behind.
.DELETE_ON_ERROR:

build: $(WASM)

$(WASM): __SOURCES__
	__BUILD__

[plain]test: $(WASM)
[plain]	$(BLOCKFORGE) block test $(WASM) --state '$(STATE)' > test-output.json
[plain]	@grep -q '"result": "HELLO BLOCKS"' test-output.json || { cat test-output.json; echo "test failed: expected result HELLO BLOCKS"; exit 1; }
[plain]	@echo "test passed: $(WASM) wrote HELLO BLOCKS"
[llm]# The block calls a model: point LLM_ENDPOINT/LLM_MODEL at one (see blockforge's README).
[llm]# A plugin may call models only once granted; for this local try it gets what it declares.
[llm]test: $(WASM)
[llm]	PLUGIN_DEFAULT_GRANT=declared $(BLOCKFORGE) block test $(WASM) --state '$(STATE)' > test-output.json
[llm]	@grep -q '"result": "' test-output.json || { cat test-output.json; echo "test failed: no result"; exit 1; }
[llm]	@echo "test passed: $(WASM) wrote a result"
