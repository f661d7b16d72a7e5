#!/usr/bin/env python3
"""Writes the token counts the TokenChunker block's tests compare against.

Run once, by hand, in a virtualenv with the PyPI package the numbers come from:

    python3 -m venv /tmp/tiktoken-venv
    /tmp/tiktoken-venv/bin/pip install tiktoken==0.14.0
    /tmp/tiktoken-venv/bin/python plugins/token_chunker/testdata/make_expected.py [TABLES_DIR]

tiktoken downloads its BPE tables on first use. Where that is not possible, pass a folder
holding cl100k_base.tiktoken and o200k_base.tiktoken (for example the `assets/` folder of the
tiktoken-rs crate in ~/.cargo/registry/src): they are put in tiktoken's cache under the names
it looks for, and tiktoken checks each file against the SHA-256 it expects before using it.

It writes expected.json beside this script: each text with its token count in
cl100k_base and o200k_base (encode_ordinary: special tokens read as text).
"""

import hashlib
import json
import os
import pathlib
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}

TEXTS = [
    "Hello, world!",
    "",
    " ",
    "The quick brown fox jumps over the lazy dog.",
    "blockforge runs LLM data-generation pipelines whose blocks are WebAssembly components.",
    "   leading and trailing spaces   ",
    "line one\nline two\n\n\nafter blank lines\r\nwindows line",
    "Numbers: 1234567890, 3.14159, -42, 1e10 and 2026-12-03.",
    "Unicode: café, naïve, Straße, 東京は日本の首都です。, Привет мир, مرحبا بالعالم",
    "Emoji 🙂🚀👍🏽 and symbols ∑∫√ ≤ ≥ → ←",
    "def f(x):\n    return x ** 2  # square\n\nprint(f(3))",
    "<|endoftext|> is a special token, read here as text.",
    "don't won't it's we're they've I'm you'll she'd DON'T",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "https://example.com/path?query=1&other=two#fragment",
    "\t\ttabs\tand\u00a0non-breaking\u2003spaces",
    ("A longer paragraph about rivers. Over thousands of years, flowing water carves valleys, "
     "moves sediment and builds fertile plains where crops can grow. People have always "
     "settled near rivers.\n\n") * 5,
]


def prepare_cache(tables):
    cache = pathlib.Path(tempfile.mkdtemp(prefix="tiktoken-cache-"))
    for name, url in URLS.items():
        source = pathlib.Path(tables) / f"{name}.tiktoken"
        shutil.copy(source, cache / hashlib.sha1(url.encode()).hexdigest())
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)


def main():
    if len(sys.argv) > 1:
        prepare_cache(sys.argv[1])
    import tiktoken

    encodings = {name: tiktoken.get_encoding(name) for name in URLS}
    cases = []
    for text in TEXTS:
        case = {"text": text}
        for name, encoding in encodings.items():
            case[name] = len(encoding.encode_ordinary(text))
        cases.append(case)
    expected = {
        "made_by": "plugins/token_chunker/testdata/make_expected.py",
        "tiktoken_version": tiktoken.__version__,
        "cases": cases,
    }
    (HERE / "expected.json").write_text(
        json.dumps(expected, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
