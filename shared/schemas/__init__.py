"""Versioned event contracts shared by every service.

Every event travels as a CloudEvents-style envelope (structured JSON mode) whose
`data` is one of the versioned payload models below. Topic names live in
`topics.py`; the (type, version) -> model registry in `registry.py`.
"""

from .envelope import Envelope, new_envelope
from .registry import EVENT_MODELS, model_for, parse_envelope

__all__ = ["Envelope", "new_envelope", "EVENT_MODELS", "model_for", "parse_envelope"]
