"""Write blockforge blocks in Python.

A block is a subclass of :class:`Block` with its description as class attributes, an optional
``Config`` dataclass (its JSON Schema is derived for you) and an ``execute(ctx)`` method that
returns a dict (a transform) or a list of dicts (a multiplier). Export it once per module::

    from dataclasses import dataclass
    import blockforge
    from blockforge import Block, Context, setting

    @dataclass
    class Config:
        prefix: str = setting("", "Text put in front of the answer (Jinja)", format="jinja2")

    class Shout(Block):
        type_name = "Shout"
        description = "Upper-cases the assistant's answer"
        inputs = ["assistant"]
        outputs = ["shouted"]
        Config = Config

        def execute(self, ctx: Context) -> dict:
            return {"shouted": ctx.render(ctx.config.prefix) + ctx.str("assistant").upper()}

    Guest = blockforge.export(Shout)

Build it with ``sdk/python/build_block.py`` (componentize-py, installed for you). A block
reaches the outside only through the host: :mod:`blockforge.llm`, :mod:`blockforge.embeddings`,
:mod:`blockforge.kv`, :mod:`blockforge.log` and :mod:`blockforge.template`. Raise
:class:`BlockError` to fail the run with a code; any other exception fails it as ``internal``
with its message and traceback.
"""

from . import embeddings, kv, llm, log, template
from .block import Block, Context, export
from .config import setting
from .errors import LLM_ERROR_KEY, BlockError

__all__ = [
    "LLM_ERROR_KEY",
    "Block",
    "BlockError",
    "Context",
    "embeddings",
    "export",
    "kv",
    "llm",
    "log",
    "setting",
    "template",
]
