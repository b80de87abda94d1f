"""What the commands write: aligned tables, files that must not be overwritten, training progress.

Output files may go into folders that do not exist yet: the commands create them
(:func:`create_parent_folder`), after :func:`check_new_file` has made sure,
before any work, that the nearest existing folder above can be written.

>>> print(format_table([["check", "value"], ["norm ratio", "1.2e-10"]]))
check       value
norm ratio  1.2e-10
"""

from __future__ import annotations

import errno
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..viz.graph import format_table
from .errors import CLIError

__all__ = [
    "OutputThatMayClose",
    "ProgressReport",
    "check_new_file",
    "check_writable_folder",
    "create_parent_folder",
    "format_cost_history",
    "format_table",
    "plural",
    "same_file",
]


def plural(n: int, noun: str) -> str:
    """``"1 row"``, ``"3 rows"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
    """``path``, after making sure writing it replaces nothing unless ``force``, and can be done.

    Raises
    ------
    CLIError
        If the file exists and ``force`` is false, the path is a directory, or
        the folder it goes in cannot be written (see :func:`check_writable_folder`).
    """
    path = Path(path)
    resolved = path.resolve()  # "new/../m.npz" is m.npz, though "new" does not exist yet
    if resolved.is_dir():
        raise CLIError(f"{path} is a directory; give a file name")
    if resolved.exists() and not force:
        raise CLIError(f"{path} already exists; use --force to overwrite it")
    check_writable_folder(path)
    return path


def same_file(a: Path, b: Path) -> bool:
    """Whether writing ``a`` would replace the file ``b``.

    That is, the two are one path once symbolic links and ``..`` are resolved, or
    two names (hard links) of one file.
    """
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and os.path.samefile(a, b)


def check_writable_folder(path: Path) -> None:
    """A CLIError unless the file ``path`` can be created.

    The nearest existing path above it must be a folder in which this process can
    create files (the missing folders below it are created when writing). That is
    tried, with a temporary file that is gone at once: ``os.access`` says yes to
    root even where writing fails (``/proc``).
    """
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CLIError(f"cannot write {path}: {folder} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise CLIError(f"cannot write {path}: cannot create files in the folder {folder} ({error.strerror})") from None


def create_parent_folder(path: Path) -> None:
    """Create the folder ``path`` goes in, and those above it, if missing; a CLIError if that fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CLIError(f"cannot write {path}: {error.strerror or error}") from None


class OutputThatMayClose(io.TextIOBase):
    """A text stream whose reader may stop reading (``| head``) without stopping the command.

    Once a write finds the pipe closed, the rest of the output is dropped and the
    work goes on; :meth:`finish` then raises the BrokenPipeError, which ``main``
    reports as for any command (exit status 1). ``train --save`` writes through
    one, so that a reader that goes away does not cost the trained model.

    Parameters
    ----------
    stream : text stream
        Where the output goes (standard output).
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self.closed_early = False

    def write(self, text: str) -> int:
        self._guarded(self._stream.write, text)
        return len(text)

    def flush(self) -> None:
        self._guarded(self._stream.flush)

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    def finish(self) -> None:
        """Raise BrokenPipeError if the reader went away (call when the work is done)."""
        if self.closed_early:
            raise BrokenPipeError(errno.EPIPE, "standard output was closed early")

    def _guarded(self, operation: Callable[..., object], *args: Any) -> None:
        """Run ``operation(*args)`` on the stream unless its reader has gone; note when it goes."""
        if self.closed_early:
            return
        try:
            operation(*args)
        except BrokenPipeError:
            self.closed_early = True


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
