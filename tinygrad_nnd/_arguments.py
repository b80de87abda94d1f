"""Checks of arguments that more than one layer makes, each with its message written once."""

from __future__ import annotations

from numbers import Integral
from typing import Any

__all__ = ["positive_int"]


def positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1 (not a bool).

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If it is less than 1.

    Examples
    --------
    >>> positive_int(3, "n_values")
    3
    >>> positive_int(0, "n_values")
    Traceback (most recent call last):
        ...
    ValueError: n_values must be at least 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)
