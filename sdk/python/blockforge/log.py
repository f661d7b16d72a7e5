"""Log lines kept with the run's trace, tagged with the block, the step and the trace id."""

from wit_world.imports import log as _wit

__all__ = ["trace", "debug", "info", "warn", "error"]


def trace(message: object) -> None:
    """Step-by-step detail."""
    _wit.log(_wit.Level.TRACE, str(message))


def debug(message: object) -> None:
    """Detail useful when debugging a block."""
    _wit.log(_wit.Level.DEBUG, str(message))


def info(message: object) -> None:
    """A normal event."""
    _wit.log(_wit.Level.INFO, str(message))


def warn(message: object) -> None:
    """Something unexpected that the block handled."""
    _wit.log(_wit.Level.WARN, str(message))


def error(message: object) -> None:
    """A failure."""
    _wit.log(_wit.Level.ERROR, str(message))
