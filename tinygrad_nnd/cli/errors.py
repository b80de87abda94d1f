"""The one kind of failure the command line reports without a traceback."""

from __future__ import annotations

__all__ = ["EXIT_BAD_INPUT", "EXIT_CHECK_FAILED", "CLIError"]

#: Exit status for bad input: a missing or malformed file, options that do not fit.
EXIT_BAD_INPUT = 2
#: Exit status when a command ran but a check it reports did not pass.
EXIT_CHECK_FAILED = 1


class CLIError(Exception):
    """Bad input: ``main`` prints ``tinygrad-nnd: error: <message>`` and exits with status 2.

    The message is one line that names the problem (and the file and line, where
    one is to blame).
    """
