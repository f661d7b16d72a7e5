"""`Block`, `Context` and `export`: the glue between a block class and the WIT `guest`
interface, so block authors never touch the generated bindings."""

from __future__ import annotations

import json
import re
import traceback
from typing import Any, Dict, List, Sequence, Union

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import types

from . import template
from .config import config_schema, parse_config
from .errors import BlockError

_CAPABILITIES = {
    "llm": types.Capability.LLM,
    "embeddings": types.Capability.EMBEDDINGS,
    "kv": types.Capability.KV,
}
_KINDS = {"transform": types.BlockKind.TRANSFORM, "multiplier": types.BlockKind.MULTIPLIER}
_CODES = {
    "invalid-config": types.ErrorCode.INVALID_CONFIG,
    "invalid-input": types.ErrorCode.INVALID_INPUT,
    "host-call-failed": types.ErrorCode.HOST_CALL_FAILED,
    "rejected": types.ErrorCode.REJECTED,
    "internal": types.ErrorCode.INTERNAL,
}


class Context:
    """One call's input: the run's ``state`` (a dict), the parsed ``config`` (an instance of
    the block's ``Config``, or a dict when it has none), ``raw_config`` as written in the
    pipeline, the run's ``trace_id`` and the block's ``step``."""

    def __init__(self, state: Dict[str, Any], config: Any, raw_config: Dict[str, Any], trace_id: str, step: int):
        self.state = state
        self.config = config
        self.raw_config = raw_config
        self.trace_id = trace_id
        self.step = step

    def get(self, key: str, default: Any = None) -> Any:
        """The state field ``key``, or ``default``."""
        return self.state.get(key, default)

    def str(self, key: str) -> str:
        """The state field ``key`` as a string; an ``invalid-input`` error naming the field
        when it is missing or not a string."""
        if key not in self.state:
            raise BlockError.invalid_input(f"state field '{key}' is missing")
        value = self.state[key]
        if not isinstance(value, str):
            raise BlockError.invalid_input(
                f"state field '{key}' must be a string, got {_json_type(value)}"
            )
        return value

    def render(self, source: str) -> str:
        """Renders the Jinja template ``source`` against the state with the host's engine."""
        return template.render(source, self.state)


class Block:
    """Base class of a block. Set the class attributes and implement :meth:`execute`.

    ``type_name`` is the unique name pipelines use; ``name`` the editor's label (defaults to
    ``type_name``); ``capabilities`` lists what the block calls among ``"llm"``,
    ``"embeddings"`` and ``"kv"`` (``log`` and ``template`` need none); ``kind`` is
    ``"transform"`` or ``"multiplier"`` (first block only: returns a list of seeds);
    ``Config`` is a dataclass or None.
    """

    type_name: str = ""
    name: str = ""
    description: str = ""
    category: str = "utilities"
    inputs: Sequence[str] = ()
    outputs: Sequence[str] = ()
    capabilities: Sequence[str] = ()
    kind: str = "transform"
    Config: Any = None

    def execute(self, ctx: Context) -> Union[Dict[str, Any], List[Dict[str, Any]]]:
        """Runs the block once: a dict merged into the state (a transform), or a list of
        dicts, one per run to start (a multiplier)."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute(self, ctx)")


def export(block_class: type) -> type:
    """The WIT ``Guest`` implementation of ``block_class``; assign it to ``Guest`` at the top
    of the module you build. Checks the class now, so a mistake fails the build, not a run."""
    if not (isinstance(block_class, type) and issubclass(block_class, Block)):
        raise TypeError(f"export() takes a subclass of blockforge.Block, got {block_class!r}")
    info = _describe(block_class)

    class Guest(exports.Guest):
        def describe(self) -> types.BlockInfo:
            return info

        def execute(self, ctx: types.Context) -> types.BlockOutput:
            return _execute(block_class, ctx)

    return Guest


def _describe(cls: type) -> types.BlockInfo:
    if not cls.type_name:
        raise TypeError(f"{cls.__name__}.type_name must be set (the name pipelines use)")
    if cls.kind not in _KINDS:
        raise TypeError(f"{cls.__name__}.kind must be 'transform' or 'multiplier', got {cls.kind!r}")
    unknown = [c for c in cls.capabilities if c not in _CAPABILITIES]
    if unknown:
        raise TypeError(
            f"{cls.__name__}.capabilities: unknown {unknown}; use {sorted(_CAPABILITIES)}"
        )
    return types.BlockInfo(
        type_name=cls.type_name,
        name=cls.name or cls.type_name,
        description=cls.description,
        category=cls.category,
        inputs=list(cls.inputs),
        outputs=list(cls.outputs),
        config_schema=json.dumps(config_schema(cls.Config)),
        capabilities=[_CAPABILITIES[c] for c in cls.capabilities],
        kind=_KINDS[cls.kind],
    )


def _execute(cls: type, ctx: types.Context) -> types.BlockOutput:
    try:
        state = _parse_object(ctx.state, "state", BlockError.invalid_input)
        raw_config = _parse_object(ctx.config, "config", BlockError.invalid_config)
        config = parse_config(cls.Config, raw_config)
        result = cls().execute(Context(state, config, raw_config, ctx.trace_id, ctx.step))
        return _output(cls, result)
    except BlockError as error:
        raise Err(types.BlockError(_CODES[error.code], error.message, error.detail_json()))
    except Exception as error:  # noqa: BLE001 - every other exception becomes the run's error
        # Not BaseException: SystemExit and KeyboardInterrupt end the call as they would a
        # program, a trap the host reports, instead of passing for the block's own failure.
        raise Err(_internal(error))


# Inside a component, componentize-py serves each folder the block was built from at /0, /1,
# ...; a traceback names the block's files as its author knows them, without that prefix.
_BUILD_FOLDER = re.compile(r"^/[0-9]+/")


def _rename(frame: traceback.FrameSummary) -> None:
    """Names `frame`'s file relative to the folder it was built from."""
    # Its source line is read (by the file's real name) before the name changes.
    _ = frame.line
    frame.filename = _BUILD_FOLDER.sub("", frame.filename)


def _source_names(exception: traceback.TracebackException) -> None:
    """Names each frame's file relative to the folder it was built from, in `exception` and
    the exceptions chained to it."""
    seen = set()
    pending = [exception]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        for frame in current.stack:
            _rename(frame)
        pending += [current.__cause__, current.__context__]


def _internal(error: Exception) -> types.BlockError:
    """An uncaught exception as an ``internal`` error: its type and message, then the
    traceback of the block's own frames (the SDK's are left out), each file named as in the
    block's folder."""
    whole = traceback.TracebackException.from_exception(error)
    # Told apart by their real names, before the renaming.
    frames = [
        frame
        for frame in whole.stack
        if "/blockforge/" not in frame.filename.replace("\\", "/")
    ]
    _source_names(whole)
    headline = "".join(whole.format_exception_only()).strip()
    lines = ["Traceback (most recent call last):"] + [
        line.rstrip("\n") for line in traceback.format_list(frames)
    ]
    full = "".join(whole.format())
    detail = {"exception": type(error).__name__, "traceback": full}
    return types.BlockError(
        types.ErrorCode.INTERNAL, headline + "\n" + "\n".join(lines), json.dumps(detail)
    )


def _output(cls: type, result: Any) -> types.BlockOutput:
    if cls.kind == "multiplier":
        if not isinstance(result, list) or not all(isinstance(s, dict) for s in result):
            raise BlockError.internal(
                f"{cls.__name__}.execute must return a list of dicts (a multiplier), got {_json_type(result)}"
            )
        return types.BlockOutput_Seeds([_dumps(seed) for seed in result])
    if not isinstance(result, dict):
        raise BlockError.internal(
            f"{cls.__name__}.execute must return a dict (a transform), got {_json_type(result)}"
        )
    return types.BlockOutput_Object(_dumps(result))


def _dumps(value: Dict[str, Any]) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as error:
        raise BlockError.internal(f"the output is not JSON: {error}") from None


def _parse_object(text: str, what: str, error: Any) -> Dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as parse_error:
        raise error(f"{what} is not valid JSON: {parse_error}") from None
    if not isinstance(value, dict):
        raise error(f"{what} must be a JSON object, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
