"""What the commands write: aligned tables, files that must not be overwritten, training progress.

>>> print(format_table([["check", "value"], ["norm ratio", "1.2e-10"]]))
check       value
norm ratio  1.2e-10
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..nn import Trainer
from .errors import CLIError

__all__ = ["ProgressTrainer", "check_new_file", "format_cost_history", "format_table", "plural"]


def plural(n: int, noun: str) -> str:
    """``"1 row"``, ``"3 rows"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_table(rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """Rows of cells as left-aligned columns two spaces apart (the first row is the header)."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return "\n".join(indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def format_cost_history(J: Sequence[float], per_line: int = 8, indent: str = "  ") -> str:
    """The cost after each iteration, ``per_line`` to a line, each line led by its iteration range.

    >>> print(format_cost_history([0.5, 0.25, 0.125], per_line=2))
      iterations 1-2  0.5  0.25
      iterations 3-3  0.125
    """
    width = len(str(len(J)))
    lines = []
    for start in range(0, len(J), per_line):
        chunk = J[start : start + per_line]
        span = f"{start + 1:>{width}}-{start + len(chunk):<{width}}"
        lines.append(f"{indent}iterations {span}  " + "  ".join(f"{cost:.4g}" for cost in chunk))
    return "\n".join(lines)


def check_new_file(path: str | os.PathLike[str], force: bool) -> Path:
    """``path``, after making sure writing it replaces nothing unless ``force``.

    Raises
    ------
    CLIError
        If the file exists and ``force`` is false, or the path is a directory.
    """
    path = Path(path)
    if path.is_dir():
        raise CLIError(f"{path} is a directory; give a file name")
    if path.exists() and not force:
        raise CLIError(f"{path} already exists; use --force to overwrite it")
    return path


class _ObservedList(list):  # type: ignore[type-arg]
    """A list that calls ``on_append(value)`` after each append."""

    def __init__(self, items: Any, on_append: Any) -> None:
        super().__init__(items)
        self._on_append = on_append

    def append(self, value: Any) -> None:
        super().append(value)
        self._on_append()


class ProgressTrainer(Trainer):
    """A :class:`~tinygrad_nnd.Trainer` that reports the cost after every iteration.

    ``Trainer`` records the costs by appending to its ``J`` (and, with test data,
    ``test_J``) lists after each iteration; here those lists report each append.
    On a terminal, progress is one line rewritten in place (``\\r``); otherwise
    one plain line per iteration.

    Parameters
    ----------
    stream : text stream
        Where to report; ``stream.isatty()`` picks the style.
    has_test : bool
        Whether ``train`` will get test data (then a line is written once both
        costs of an iteration are known).
    **options
        Passed to :class:`~tinygrad_nnd.Trainer`.
    """

    def __init__(self, N: Any, stream: TextIO, has_test: bool, **options: Any) -> None:
        self._stream = stream
        self._has_test = has_test
        self._on_terminal = bool(getattr(stream, "isatty", lambda: False)())
        self._line_width = 0
        super().__init__(N, **options)

    @property  # type: ignore[override]
    def J(self) -> list[float]:
        return self._J

    @J.setter
    def J(self, values: list[float]) -> None:
        self._J = _ObservedList(values, lambda: None if self._has_test else self._report())

    @property  # type: ignore[override]
    def test_J(self) -> list[float]:
        return self._test_J

    @test_J.setter
    def test_J(self, values: list[float]) -> None:
        self._test_J = _ObservedList(values, self._report)

    def _report(self) -> None:
        text = f"iteration {len(self._J)}: J = {self._J[-1]:.6e}"
        if self._has_test and self._test_J:
            text += f", test J = {self._test_J[-1]:.6e}"
        if self._on_terminal:
            self._stream.write("\r" + text.ljust(self._line_width))
            self._line_width = len(text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """End the in-place line on a terminal (call after ``train``)."""
        if self._on_terminal and self._line_width:
            self._stream.write("\n")
            self._stream.flush()
