"""Switches that change how ops are recorded: ``no_grad``, ``enable_grad``, ``detect_anomaly``.

The state is per thread (``threading.local``), so ``with no_grad():`` in one
thread never turns off gradient recording in another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np


class _ModeState(threading.local):
    grad_enabled: bool = True
    anomaly: bool = False
    #: Set while :func:`~tinygrad_nnd.jit` traces a function on this thread: a Tensor
    #: that requires a gradient then stands for values not known yet.
    tracing: bool = False


state = _ModeState()


def is_grad_enabled() -> bool:
    """Whether ops on this thread record a graph (True unless inside :func:`no_grad`)."""
    return state.grad_enabled


@contextmanager
def _set_grad_enabled(enabled: bool) -> Iterator[None]:
    previous = state.grad_enabled
    state.grad_enabled = enabled
    try:
        yield
    finally:
        state.grad_enabled = previous


def no_grad() -> AbstractContextManager[None]:
    """Context manager: ops inside record no graph and cost no backward work.

    Results of ops inside have ``requires_grad=False``. The setting is per
    thread and is restored on exit, also when an exception leaves the block.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor, no_grad
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = (w * 3).sum()
    >>> y.requires_grad
    False
    """
    return _set_grad_enabled(False)


def enable_grad() -> AbstractContextManager[None]:
    """Context manager: turn graph recording back on, for example inside :func:`no_grad`."""
    return _set_grad_enabled(True)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: raise at the first op whose forward or backward makes NaN or inf.

    Inside it every op checks its result, so a NaN is caught where it is made,
    not many ops later when the cost is already NaN. The error is an
    :class:`AnomalyError` (a ``FloatingPointError``) naming the op and the
    shapes of its inputs. Checking costs one pass over each result: use it for
    debugging, not in production runs.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor, detect_anomaly
    >>> x = Tensor([0.0, 1.0], requires_grad=True)
    >>> with detect_anomaly():
    ...     (x / x).sum()
    Traceback (most recent call last):
    ...
    tinygrad_nnd.engine.modes.AnomalyError: div forward produced NaN (input shapes (2,) and (2,))
    """
    previous = state.anomaly
    state.anomaly = True
    try:
        yield
    finally:
        state.anomaly = previous


class TracerConversionError(TypeError):
    """Raised when a traced Tensor is turned into a Python value (``bool``, ``int``, ``float``) under ``jit``."""


def refuse_concrete(what: str) -> None:
    """Raise :class:`TracerConversionError` for a conversion of a traced Tensor (``what``: ``"bool()"``, ...)."""
    raise TracerConversionError(
        f"{what} of a traced Tensor inside a jit-compiled function: jit records the ops once and runs them "
        "again on new values, so a Python value taken from this call's numbers (an `if` on it, a float in a "
        "formula) would be frozen into every later call. Branch on shapes only (x.shape is known while "
        "tracing), compute the value outside the function and pass it in as an argument, or call the "
        "function without jit"
    )


class AnomalyError(FloatingPointError):
    """Raised inside :func:`detect_anomaly` when an op produces NaN or inf."""


def run_checked(op_name: str, stage: str, input_shapes: list[Any], rule: Callable[..., Any], *args: Any) -> Any:
    """Run ``rule(*args)`` as :func:`detect_anomaly` wants: NumPy's warnings off, result checked.

    The Tensor graph's forward and backward run their rules through here; a compiled
    program's checked run calls :func:`check_finite` after each op instead.
    """
    with np.errstate(all="ignore"):  # the check names the op instead of a warning
        result = rule(*args)
    check_finite(op_name, stage, result, input_shapes)
    return result


def check_finite(op_name: str, stage: str, values: Any, input_shapes: list[Any]) -> None:
    """Raise :class:`AnomalyError` if ``values`` (an array, or a tuple of arrays/None) is not all finite."""
    for v in values if isinstance(values, tuple) else (values,):
        if v is None:
            continue
        v = np.asarray(getattr(v, "data", v))
        if not np.isfinite(v).all():
            kind = "NaN" if np.isnan(v).any() else "inf"
            shapes = " and ".join(str(s) for s in input_shapes)
            raise AnomalyError(f"{op_name} {stage} produced {kind} (input shapes {shapes})")
