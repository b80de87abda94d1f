"""Checks of arguments that more than one layer makes, each with its message written once."""

from __future__ import annotations

from numbers import Integral
from typing import Any

__all__ = ["integer", "positive_int", "whole_number"]


def integer(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is an integer of any kind (Python or NumPy), not a bool or a float.

    >>> integer(2.0, "index")
    Traceback (most recent call last):
        ...
    TypeError: index must be an integer, got 2.0
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


def whole_number(value: Any, name: str, minimum: int = 0) -> int:
    """``value`` as an ``int`` if it is a whole number >= ``minimum`` (not a bool).

    Parameters
    ----------
    value : Any
        What the caller was given.
    name : str
        How the message names it, e.g. ``"resolution"`` or ``"param_name: index"``.
    minimum : int
        The smallest value allowed.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer (a float such as ``2.0`` or a bool included).
    ValueError
        If it is less than ``minimum``.

    Examples
    --------
    >>> whole_number(3, "n_values", minimum=1)
    3
    >>> whole_number(1, "resolution", minimum=2)
    Traceback (most recent call last):
        ...
    ValueError: resolution must be at least 2, got 1
    """
    value = integer(value, name)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1: :func:`whole_number` with ``minimum=1``.

    >>> positive_int(0, "n_values")
    Traceback (most recent call last):
        ...
    ValueError: n_values must be at least 1, got 0
    """
    return whole_number(value, name, minimum=1)
