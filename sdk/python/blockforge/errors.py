"""`BlockError`: why a block fails its run."""

from __future__ import annotations

import json
from typing import Any, Optional

#: The error codes of the contract (`error-code` in `wit/since_v0.1.0/types.wit`).
CODES = ("invalid-config", "invalid-input", "host-call-failed", "rejected", "internal")

#: The key of a failed model call's code in a ``host-call-failed`` error's detail, the same in
#: the Python, JavaScript and Rust SDKs: ``{"llm_error": "rate-limited"}``.
LLM_ERROR_KEY = "llm_error"


class BlockError(Exception):
    """Fails the run with ``code`` (one of :data:`CODES`; ``_`` may stand for ``-``), a
    message for a person naming the field or value at fault, and optional JSON ``detail``."""

    def __init__(self, code: str, message: str, detail: Optional[Any] = None):
        normalised = str(code).replace("_", "-")
        if normalised not in CODES:
            raise ValueError(
                f"unknown BlockError code {code!r}; use one of: {', '.join(CODES)}"
            )
        super().__init__(message)
        self.code = normalised
        self.message = message
        self.detail = detail

    @classmethod
    def invalid_config(cls, message: str, detail: Optional[Any] = None) -> "BlockError":
        """The block's config is wrong."""
        return cls("invalid-config", message, detail)

    @classmethod
    def invalid_input(cls, message: str, detail: Optional[Any] = None) -> "BlockError":
        """The state lacks a field or holds a value of the wrong shape."""
        return cls("invalid-input", message, detail)

    @classmethod
    def host_call_failed(cls, message: str, detail: Optional[Any] = None) -> "BlockError":
        """A host call (LLM, embeddings, kv, template) failed."""
        return cls("host-call-failed", message, detail)

    @classmethod
    def rejected(cls, message: str, detail: Optional[Any] = None) -> "BlockError":
        """The data failed the block's checks and the block fails the run."""
        return cls("rejected", message, detail)

    @classmethod
    def internal(cls, message: str, detail: Optional[Any] = None) -> "BlockError":
        """Anything else."""
        return cls("internal", message, detail)

    def detail_json(self) -> Optional[str]:
        """The detail as JSON text (a value that is not JSON becomes its `repr`)."""
        if self.detail is None:
            return None
        try:
            return json.dumps(self.detail)
        except (TypeError, ValueError):
            return json.dumps(repr(self.detail))

    def __repr__(self) -> str:
        return f"BlockError({self.code!r}, {self.message!r})"


def llm_failure(what: str, failure: Any) -> BlockError:
    """A failed ``llm`` or ``embeddings`` call (the WIT ``llm-error``) as the error every SDK
    gives: ``what failed (code): message``, the code as the WIT spells it under
    :data:`LLM_ERROR_KEY`."""
    code = failure.code.name.lower().replace("_", "-")
    return BlockError.host_call_failed(f"{what} failed ({code}): {failure.message}", {LLM_ERROR_KEY: code})
