"""Key-value storage kept by the host, scoped to the job (``scope="job"``, the default) or to
every job of the pipeline (``scope="pipeline"``). Keys and values are strings. Declare the
``"kv"`` capability to use it."""

from typing import Callable, List, Optional, TypeVar

from componentize_py_types import Err
from wit_world.imports import kv as _wit

from .errors import BlockError

T = TypeVar("T")


def _scope(scope: str) -> "_wit.Scope":
    if scope == "job":
        return _wit.Scope.JOB
    if scope == "pipeline":
        return _wit.Scope.PIPELINE
    raise ValueError(f"kv scope must be 'job' or 'pipeline', got {scope!r}")


def _call(what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except Err as error:
        raise BlockError.host_call_failed(f"kv.{what}: {error.value}") from None


def get(key: str, scope: str = "job") -> Optional[str]:
    """The value stored under ``key``, or None."""
    return _call("get", lambda: _wit.get(_scope(scope), key))


def set(key: str, value: str, scope: str = "job") -> None:  # noqa: A001 - the contract's name
    """Stores ``value`` under ``key``, replacing any previous value."""
    _call("set", lambda: _wit.set(_scope(scope), key, value))


def set_if_absent(key: str, value: str, scope: str = "job") -> bool:
    """Stores ``value`` only if ``key`` is absent; whether it was stored. Atomic across
    concurrent runs: use it to claim a key."""
    return _call("set_if_absent", lambda: _wit.set_if_absent(_scope(scope), key, value))


def delete(key: str, scope: str = "job") -> bool:
    """Removes ``key``; whether it existed."""
    return _call("delete", lambda: _wit.delete(_scope(scope), key))


def keys(prefix: str = "", limit: int = 100, scope: str = "job") -> List[str]:
    """Keys starting with ``prefix``, sorted, at most ``limit``."""
    return _call("keys", lambda: _wit.keys(_scope(scope), prefix, limit))
