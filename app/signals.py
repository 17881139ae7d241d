"""Asking the areas above. A lower area never imports a higher one (tests/test_layers.py), so
where its rule needs a fact only a higher area holds (sessions naming an organization, a
learner's attendance), it sends a blinker signal, and each area that holds such rows answers
from a receiver it connects when it is imported. The signals themselves live in the asking
area's `signals.py`."""

from __future__ import annotations

from typing import Any

from blinker import Signal


def answers(signal: Signal, sender: Any, **kwargs: Any) -> list[Any]:
    """What every receiver returned, in the order they were connected (None left out)."""
    return [value for _receiver, value in signal.send(sender, **kwargs) if value is not None]


def merged(signal: Signal, sender: Any, **kwargs: Any) -> dict[str, Any]:
    """The receivers' answers ({name: value}) as one: for a page or a report that shows what
    several areas each add."""
    combined: dict[str, Any] = {}
    for answer in answers(signal, sender, **kwargs):
        combined.update(answer)
    return combined


def total(signal: Signal, sender: Any, **kwargs: Any) -> int:
    """The sum of the receivers' counts: nobody answering means nothing is there."""
    return sum(answers(signal, sender, **kwargs))
