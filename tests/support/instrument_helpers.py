"""Build answers for an instrument from item scores, so tests read like the scoring rules."""

from __future__ import annotations

from typing import Any

from ddassess.formengine import FormSpec


def value_for(spec: FormSpec, item: str, score: float) -> Any:
    f = spec.fields[item]
    for c in f.choices:
        if c.score == score:
            return c.value
    raise ValueError(f"{spec.id}.{item} has no option scoring {score}")


def answers_for(spec: FormSpec, scores: dict[str, float], **other: Any) -> dict[str, Any]:
    return {**{item: value_for(spec, item, s) for item, s in scores.items()}, **other}


def answers_totalling(spec: FormSpec, items: list[str], total: int, **other: Any) -> dict[str, Any]:
    """Fill items in order, each up to its highest score, until the total is reached."""
    scores: dict[str, float] = {}
    left = total
    for item in items:
        options = sorted(c.score for c in spec.fields[item].choices)
        pick = max(s for s in options if s <= left)
        scores[item] = pick
        left -= pick
    if left:
        raise ValueError(f"cannot reach {total} with {items}")
    return answers_for(spec, scores, **other)
