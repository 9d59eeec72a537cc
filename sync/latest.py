"""Pick one record per key out of a submission history."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from sync.model import RecordBase

R = TypeVar("R", bound=RecordBase)
K = TypeVar("K", bound=Hashable)


def _order(r: RecordBase) -> tuple[object, str]:
    # response_id breaks ties between submissions with the same timestamp deterministically
    return (r.submitted_at, r.response_id)


def latest_by(records: Iterable[R], key: Callable[[R], K]) -> dict[K, R]:
    """The latest submission per key: a later submission replaces the earlier one."""
    out: dict[K, R] = {}
    for r in records:
        k = key(r)
        if k not in out or _order(r) > _order(out[k]):
            out[k] = r
    return out


def first_by(records: Iterable[R], key: Callable[[R], K]) -> dict[K, R]:
    """The earliest submission per key (when something was first reported)."""
    out: dict[K, R] = {}
    for r in records:
        k = key(r)
        if k not in out or _order(r) < _order(out[k]):
            out[k] = r
    return out
