"""Small shared types: the "not passed" sentinel, call-option aliases and the `Secret` wrapper."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Final, TypeAlias


class _Default(enum.Enum):
    """The type of `DEFAULT`; an enum so that type checkers can narrow on it."""

    DEFAULT = "DEFAULT"

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = _Default.DEFAULT
"""Pass-through marker: "use the client's default" (for example its 10 s timeout).

``timeout=None`` means no deadline at all, so it cannot double as "not passed".
"""

Timeout: TypeAlias = "float | None | _Default"
"""A call timeout in seconds, ``None`` for no deadline, or `DEFAULT` for the client default."""

Metadata: TypeAlias = "Sequence[tuple[str, str | bytes]]"
"""Extra gRPC metadata for one call; appended to the client's own headers."""


class Secret:
    """Holds a secret string; its `repr` and `str` never show the value.

    Call `reveal()` at the single place the value is put on the wire.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__
