"""Text embeddings through the host's gateway. Declare the ``"embeddings"`` capability."""

from typing import List, Optional, Sequence

from componentize_py_types import Err
from wit_world.imports import embeddings as _wit

from .errors import llm_failure


def embed(texts: Sequence[str], model: Optional[str] = None) -> List[List[float]]:
    """One vector per text, in order; ``model=None`` takes the host's default embedding
    model. A failed call raises a ``host-call-failed`` :class:`BlockError`."""
    try:
        response = _wit.embed(_wit.EmbedRequest(model, list(texts)))
    except Err as error:
        raise llm_failure("embeddings.embed", error.value) from None
    return response.vectors
