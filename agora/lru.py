"""A bounded least-recently-used map, bounded by the memory its entries hold (rendered HTML:
a count alone would let a few long posts hold a lot)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SizedLRU(Generic[K, V]):
    """Entries up to `max_size` in total (as `size_of` counts a key and its value), least
    recently used out first; an entry larger than the whole budget is not kept. For one event
    loop: no locking."""

    def __init__(self, max_size: int, size_of: Callable[[K, V], int]) -> None:
        self.max_size = max_size
        self.size_of = size_of
        self.size = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: K, value: V) -> None:
        size = self.size_of(key, value)
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= old[1]
        if size > self.max_size:
            return
        self._items[key] = (value, size)
        self.size += size
        while self.size > self.max_size and self._items:
            _, (_, evicted) = self._items.popitem(last=False)
            self.size -= evicted

    def keys(self) -> list[K]:
        return list(self._items)

    def values(self) -> list[V]:
        return [value for value, _ in self._items.values()]

    def clear(self) -> None:
        self._items.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items
