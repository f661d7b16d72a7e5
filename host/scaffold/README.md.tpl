# __TYPE_NAME__

A blockforge block written in __LANGUAGE__: it reads `text` from
the run's state and writes `result`. Its source is `__SOURCE__`; the SDK and the WIT contract it
builds against are copied beside it, so this folder builds on its own. Needs __NEEDS__.

The three commands:

```sh
make                                                               # build __SNAKE__.wasm
blockforge block test __SNAKE__.wasm --state '{"text": "hello blocks"}'   # run it once
cp __SNAKE__.wasm /path/to/plugins/                                # the server lists it at once
```

The first `block test` of a component compiles it (a Python or JavaScript one can take up to a
minute; it says "compiling …" first); later runs reuse the compiled code. The plugins folder is the server's
`PLUGINS_DIR`: by default `plugins/` in the folder `blockforge serve` was started in (with
`make run`, the blockforge checkout's); `blockforge run --plugins-dir .` uses this folder's.

[plain]`make test` builds the block and checks what it writes: it runs the block on `STATE` and
[plain]looks for `EXPECT` in the output, both at the top of the Makefile: change them when you change
[plain]what the block reads or writes.
[llm]`make test` builds the block and checks that it writes a `result`.
[rust]The build uses `Cargo.lock` as written (`cargo build --locked`): the versions blockforge's
[rust]example block is tested with. After changing the dependencies in `Cargo.toml`, run
[rust]`cargo update` once to write the new lock file, then `make`.

In a pipeline:

```yaml
blocks:
  - type: __TYPE_NAME__
[plain]    config: {template: "{{ text | title }}!"}
[llm]    config: {prompt: "Give a title to: {{ text }}"}
```

[llm]The block calls a model, so the operator must grant it `llm` (`PUT /api/plugins/__SNAKE__/grants`,
[llm]the Plugins page, or `blockforge run --grants FILE`); `make test` runs it with
[llm]`PLUGIN_DEFAULT_GRANT=declared` against `LLM_ENDPOINT`/`LLM_MODEL`.
[llm]
Its config schema, shown in the editor and checked before each run, comes from the config in
`__SOURCE__`. What a block may use (`llm`, `embeddings`, `kv`, `log`, `template`) and its limits:
blockforge's README, "Writing a block".
