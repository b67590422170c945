"""State machines as data: one table of allowed moves per domain, one function that applies them."""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

S = TypeVar("S", bound=StrEnum)


class InvalidTransition(Exception):
    """A move the state machine does not allow; nothing was changed."""

    def __init__(self, machine: str, current: StrEnum, target: StrEnum) -> None:
        super().__init__(f"{machine}: cannot go from {current.value} to {target.value}")
        self.current = current
        self.target = target


class StateMachine(Generic[S]):
    def __init__(self, name: str, allowed: Mapping[S, frozenset[S]]) -> None:
        self.name = name
        self.allowed = allowed

    def can_move(self, current: S, target: S) -> bool:
        return target in self.allowed.get(current, frozenset())

    def check(self, current: S, target: S) -> bool:
        """True when the move must happen, False when already there (ignored); raises when illegal."""
        if current == target:
            return False
        if not self.can_move(current, target):
            raise InvalidTransition(self.name, current, target)
        return True
