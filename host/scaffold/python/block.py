"""__TYPE_NAME__: writes `result` from the run's `text`. `make` builds it (see README.md)."""

from dataclasses import dataclass
[llm]from typing import Optional

import blockforge
from blockforge import Block, Context, log, setting
[llm]from blockforge import llm


@dataclass
class Config:
    """__TYPE_NAME__'s settings."""

[plain]    template: str = setting("{{ text | upper }}", "What to write into `result` (Jinja, rendered against the state)", format="jinja2")
[llm]    prompt: str = setting("Give a short title to: {{ text }}", "The prompt sent to the model (Jinja, rendered against the state)", format="jinja2")
[llm]    model: Optional[str] = setting(None, "The model to ask (the host's default when empty)", format="model")


class __TYPE_NAME__(Block):
    type_name = "__TYPE_NAME__"
    description = "Writes `result` from `text`"
    category = "utilities"
    inputs = ["text"]
    outputs = ["result"]
[llm]    capabilities = ["llm"]
    Config = Config

    def execute(self, ctx: Context) -> dict:
        text = ctx.str("text")
        log.info(f"__TYPE_NAME__ got {len(text)} characters")
[plain]        return {"result": ctx.render(ctx.config.template)}
[llm]        reply = llm.chat(ctx.render(ctx.config.prompt), model=ctx.config.model)
[llm]        return {"result": reply.content}


Guest = blockforge.export(__TYPE_NAME__)
