"""Context-manager support for anything with a ``close()``."""

from __future__ import annotations

from typing import TypeVar

_Self = TypeVar("_Self", bound="ClosesOnExit")


class ClosesOnExit:
    """``with thing:`` calls ``thing.close()`` on the way out."""

    def close(self) -> None:
        """Releases what the object holds; subclasses define it."""
        raise NotImplementedError

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
