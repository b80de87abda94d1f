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

from .errors import CLIError

__all__ = ["ProgressReport", "check_new_file", "format_cost_history", "format_table", "plural"]


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


class ProgressReport:
    """The cost after every iteration, as :meth:`Trainer.train`'s ``callback``.

    On a terminal, progress is one line rewritten in place (``\\r``); otherwise
    one plain line per iteration.

    Parameters
    ----------
    stream : text stream
        Where to report; ``stream.isatty()`` picks the style.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._on_terminal = bool(getattr(stream, "isatty", lambda: False)())
        self._line_width = 0

    def __call__(self, iteration: int, J: float, test_J: float | None) -> None:
        text = f"iteration {iteration}: J = {J:.6e}"
        if test_J is not None:
            text += f", test J = {test_J:.6e}"
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
