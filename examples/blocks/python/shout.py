"""PyShout: upper-cases `text`, puts a rendered prefix in front and counts its words.

The same block as examples/blocks/rust and examples/blocks/js, written with the Python SDK.
Build: python3 ../../../sdk/python/build_block.py shout.py -o py_shout.wasm
"""

from dataclasses import dataclass

import blockforge
from blockforge import Block, BlockError, Context, log, setting


@dataclass
class Config:
    """How to shout."""

    prefix: str = setting("", "Text put in front of the shouted text (Jinja, rendered against the state)", format="jinja2")
    max_words: int = setting(0, "Reject texts with more words than this (0: no limit)", minimum=0)


class PyShout(Block):
    type_name = "PyShout"
    name = "Shout (Python)"
    description = "Upper-cases `text`, puts the rendered `prefix` in front and counts the words"
    category = "utilities"
    inputs = ["text"]
    outputs = ["shouted", "words"]
    Config = Config

    def execute(self, ctx: Context) -> dict:
        text = ctx.str("text")
        words = len(text.split())
        if ctx.config.max_words and words > ctx.config.max_words:
            raise BlockError.rejected(
                f"text has {words} words, above max_words {ctx.config.max_words}",
                {"words": words, "max_words": ctx.config.max_words},
            )
        log.info(f"shouting {words} words")
        return {"shouted": ctx.render(ctx.config.prefix) + text.upper(), "words": words}


Guest = blockforge.export(PyShout)
