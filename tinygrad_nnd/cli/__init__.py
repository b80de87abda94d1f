"""The ``tinygrad-nnd`` command line (also ``python -m tinygrad_nnd``).

Commands, one module each:

``demo``       the seed notebook end to end (:mod:`.demo`)
``train``      fit a network to sleep, iris or a CSV file; ``--save`` it (:mod:`.train`)
``predict``    a saved model's predictions for a CSV file, as CSV (:mod:`.predict`)
``gradcheck``  autodiff vs hand-written vs numerical gradients (:mod:`.gradcheck`)
``graph``      the cost graph as text, DOT or a drawing (:mod:`.graph`)
``explain``    the backward pass step by step (:mod:`.explain`)

Bad input (a missing or malformed file, options that do not fit the data, a
file that is not a model, an existing output file without ``--force``) ends with
one line on standard error, ``tinygrad-nnd: error: ...``, and exit status 2,
as argparse's own usage errors do. A check that runs but fails exits with 1.

>>> main(["train", "--data", "sleep", "--quiet", "--maxiter", "5"])  # doctest: +ELLIPSIS
data: sleep: 3 rows, 2 inputs (hours_of_sleep, hours_of_study), 1 target (test_score)
...
0
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

from .._version import __version__
from ..csvdata import CSVDataError
from . import demo, explain, gradcheck, graph, predict, train
from .errors import EXIT_BAD_INPUT, CLIError

__all__ = ["PROG", "build_parser", "main"]

PROG = "tinygrad-nnd"
_COMMANDS = (demo, train, predict, gradcheck, graph, explain)


class _UsageError(Exception):
    """argparse found the command line itself wrong."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are raised, so ``main`` reports them in one line."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = _Parser(
        prog=PROG,
        description="Reverse-mode autodiff on NumPy, around the 'Neural Networks Demystified' network.",
        epilog=f"'{PROG} demo' runs the whole series in a few seconds; '{PROG} COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", required=True)
    for command in _COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a check failed, 2 bad input).

    Whatever happens to standard output, ``train --save`` saves its model: with
    standard output closed (``>&-``) it trains and saves, then reports the lost
    output in one line; every other command refuses at once, since its output is
    its result. Reports show characters that standard output cannot encode as
    escapes (``\\xe9``); ``predict``, whose output is data, refuses instead.
    """
    stdout_closed = sys.stdout is None or bool(getattr(sys.stdout, "closed", False))
    try:
        args = build_parser().parse_args(argv)
        saves_model = args.command == "train" and bool(args.save)
        if stdout_closed and not saves_model:
            raise CLIError(
                "standard output is closed, so the results have nowhere to go: redirect it instead (e.g. > out.txt)"
            )
        with _usable_stdout(stdout_closed, strict=args.command == "predict"):
            status = int(args.run(args))
            sys.stdout.flush()  # a reader that went away shows here, where it is handled, not at exit
        if stdout_closed:
            raise CLIError(
                f"standard output is closed, so the report was not shown; the model was saved to {args.save}"
            )
        return status
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    except (_UsageError, CLIError, CSVDataError) as error:
        return _fail(str(error))
    except UnicodeEncodeError as error:
        return _fail(
            f"standard output's encoding ({error.encoding}) cannot write {error.object[error.start : error.end]!r}: "
            "set PYTHONIOENCODING=utf-8 (or send the output to a file)"
        )
    except BrokenPipeError:  # the reader of our output went away (e.g. '| head')
        _silence_stdout()
        return 1
    except OSError as error:  # e.g. a folder that cannot be written
        where = f"{error.filename}: " if error.filename else ""
        return _fail(f"{where}{error.strerror or error}")
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130


@contextmanager
def _usable_stdout(closed: bool, strict: bool) -> Iterator[None]:
    """Standard output for a command: a sink if it is closed; escapes for what it cannot encode, unless ``strict``."""
    original = sys.stdout
    if closed:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (closed in finally)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    errors = getattr(sys.stdout, "errors", None)
    lenient = not strict and not closed and reconfigure is not None and errors == "strict"
    if lenient:
        reconfigure(errors="backslashreplace")  # type: ignore[misc]  # not None when lenient
    try:
        yield
    finally:
        if lenient and sys.stdout is original:
            with contextlib.suppress(ValueError, OSError):  # the stream was closed meanwhile
                reconfigure(errors=errors)  # type: ignore[misc]  # not None when lenient
        if closed:
            sys.stdout.close()
            sys.stdout = original


def _silence_stdout() -> None:
    """Send what is left of standard output nowhere, so closing it at exit cannot fail again."""
    with contextlib.suppress(OSError, ValueError):  # not a real file (e.g. captured by a test)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fail(message: str) -> int:
    """Report bad input in one line on standard error."""
    one_line = " ".join(message.split())
    print(f"{PROG}: error: {one_line}", file=sys.stderr)
    return EXIT_BAD_INPUT
