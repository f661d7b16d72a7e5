# __TYPE_NAME__, a blockforge block in __LANGUAGE__.
#   make        builds __SNAKE__.wasm
#   make test   builds it and runs it once with `blockforge block test`, checking its output
# Needs __NEEDS__, and blockforge on PATH (or `make test BLOCKFORGE=/path/to/blockforge`).
BLOCKFORGE ?= blockforge
WASM := __SNAKE__.wasm
[plain]# `make test` runs the block once on STATE and passes when its output holds EXPECT:
[plain]# change both when you change what the block reads or writes.
STATE := {"text": "hello blocks"}
[plain]EXPECT := "result": "HELLO BLOCKS"

.PHONY: build test
# A failed build leaves no half-written component behind.
.DELETE_ON_ERROR:

build: $(WASM)

$(WASM): __SOURCES__
	__BUILD__

[plain]test: $(WASM)
[plain]	$(BLOCKFORGE) block test $(WASM) --state '$(STATE)' > test-output.json
[plain]	@grep -qF '$(EXPECT)' test-output.json || { cat test-output.json; echo 'test failed: the output above does not hold $(EXPECT) (STATE and EXPECT are at the top of the Makefile: change them when the block does something else)'; exit 1; }
[plain]	@echo 'test passed: $(WASM) wrote $(EXPECT)'
[llm]# The block calls a model: point LLM_ENDPOINT/LLM_MODEL at one (see blockforge's README).
[llm]# A plugin may call models only once granted; for this local try it gets what it declares.
[llm]test: $(WASM)
[llm]	PLUGIN_DEFAULT_GRANT=declared $(BLOCKFORGE) block test $(WASM) --state '$(STATE)' > test-output.json
[llm]	@grep -q '"result": "' test-output.json || { cat test-output.json; echo "test failed: no result"; exit 1; }
[llm]	@echo "test passed: $(WASM) wrote a result"
