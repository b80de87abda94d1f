"""What the commands write: files that must not be overwritten, training progress.

Output files may go into folders that do not exist yet: the commands create them
(:func:`create_parent_folder`), after :func:`check_new_file` has made sure,
before any work, that the nearest existing folder above can be written. The
aligned tables and plurals come from :mod:`tinygrad_nnd.text`.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from ..io import is_model_file
from ..text import format_table, plural
from .data import BUILTIN_DATA
from .errors import CLIError

__all__ = [
    "OutputThatMayClose",
    "OUTPUT_KINDS",
    "ProgressReport",
    "check_new_file",
    "check_writable_folder",
    "create_parent_folder",
    "new_parent_folders",
    "format_cost_history",
    "format_table",
    "plural",
    "same_file",
]


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


#: The kinds of file the commands write, as :func:`check_new_file` names them in messages.
OUTPUT_KINDS = {
    "model": "a tinygrad-nnd model file",
    "figure": "a PNG figure",
    "graph": "a graph written by 'tinygrad-nnd graph' (text, tree, DOT, SVG, PNG or PDF)",
    "html": "a web page written by 'tinygrad-nnd explain --html'",
}
#: How each kind of output of ours begins, to recognise one that ``--force`` may replace.
_OUR_STARTS = {
    "figure": (b"\x89PNG\r\n\x1a\n",),
    "html": (b"<!DOCTYPE html>",),
    "graph": (b"id ", b"J = ", b"digraph", b"<?xml", b"<svg", b"\x89PNG\r\n\x1a\n", b"%PDF-"),
}


def check_new_file(
    path: str | os.PathLike[str],
    force: bool,
    *,
    kind: str,
    option: str,
    sources: Mapping[str, str | None] | None = None,
) -> Path:
    """``path``, after making sure, before any work, that writing it loses nothing.

    Writing may create a new file, or, with ``force``, replace a regular file
    that is one of our own outputs of this ``kind`` (a model file, a PNG figure,
    a graph view): never a link, a device such as ``/dev/null``, a named pipe, a
    folder, another program's file, or a file that a command reads (``sources``).

    Parameters
    ----------
    path : path-like
        The file to write.
    force : bool
        Whether an existing file of ours may be replaced.
    kind : {"model", "figure", "graph", "html"}
        What will be written (see :data:`OUTPUT_KINDS`).
    option : str
        The option that named ``path`` (``"--save"``), for messages.
    sources : mapping of str to str or None, optional
        The files the command reads, by option (``{"--data": "d.csv"}``); None
        values and the built-in data names are skipped.

    Raises
    ------
    CLIError
        With one line that says what is wrong and what to do instead.
    """
    text = os.fspath(path)
    path = Path(path)
    if path.name in ("", ".", "..") or text.endswith(("/", os.sep)):
        raise CLIError(
            f"{option} {text} names a folder, not a file; give a file name (e.g. {Path(text) / _EXAMPLE_NAME[kind]})"
        )
    target = path.parent.resolve() / path.name  # "new/../m.npz" is m.npz, though "new" does not exist yet
    for source_option, source in (sources or {}).items():
        if source is not None and source not in BUILTIN_DATA and same_file(target, Path(source)):
            raise CLIError(f"{option} {text} would overwrite the {source_option} file {source}; choose another name")
    try:
        status = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):
        status = None
    except OSError as error:
        raise CLIError(f"cannot write {path}: {error.strerror or error}") from None
    if status is not None:
        _check_replaceable(path, status, force, kind)
    check_writable_folder(path)
    return path


_EXAMPLE_NAME = {"model": "model.npz", "figure": "figure.png", "graph": "graph.dot", "html": "page.html"}


def _check_replaceable(path: Path, status: os.stat_result, force: bool, kind: str) -> None:
    """A CLIError unless the existing ``path`` (with ``lstat`` ``status``) may be replaced."""
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        raise CLIError(f"{path} is a directory; give a file name")
    if stat.S_ISLNK(mode):
        raise CLIError(
            f"{path} is a symbolic link; tinygrad-nnd never writes through or replaces a link: give another name"
        )
    if not stat.S_ISREG(mode):
        raise CLIError(
            f"{path} is {_file_type(mode)}, not a regular file; tinygrad-nnd never replaces one: give another name"
        )
    if not force:
        raise CLIError(f"{path} already exists; use --force to overwrite it")
    if not _is_ours(path, kind):
        raise CLIError(
            f"{path} exists and is not {OUTPUT_KINDS[kind]}, so --force will not replace it: "
            "give another name, or move the file away yourself"
        )


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def _is_ours(path: Path, kind: str) -> bool:
    """Whether the regular file ``path`` is an output of ours of this kind, judged by its first bytes."""
    try:
        if kind == "model":
            return is_model_file(path)
        with open(path, "rb") as file:
            head = file.read(64)
    except OSError:
        return False
    return head.startswith(_OUR_STARTS[kind])


def same_file(a: Path, b: Path) -> bool:
    """Whether writing ``a`` would replace the file ``b``.

    That is, the two are one path once symbolic links and ``..`` are resolved, or
    two names (hard links) of one file.
    """
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


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


@contextmanager
def new_parent_folders(path: Path) -> Iterator[None]:
    """Create the folders above ``path`` that are missing; if the body fails, remove those still empty.

    So a failed write (a Graphviz error, a full disk) leaves no empty folder behind.
    """
    missing = []
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    create_parent_folder(path)
    try:
        yield
    except BaseException:
        for folder in missing:  # the deepest first
            try:
                folder.rmdir()
            except OSError:  # not empty (something else wrote there), or gone
                break
        raise


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
        except UnicodeEncodeError as error:  # a name the stream's encoding lacks: shown as escapes
            text = args[0].encode(error.encoding, "backslashreplace").decode(error.encoding)
            self._guarded(operation, text)


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
