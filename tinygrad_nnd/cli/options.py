"""Option parsing shared by the commands: value types and the common option groups.

Each ``parse_*`` function turns one option's text into a value or raises
:class:`argparse.ArgumentTypeError` with a message that says what was expected;
argparse then reports ``argument --NAME: <message>``.

>>> parse_layers("2,3,1")
(2, 3, 1)
>>> parse_method("bfgs")
'BFGS'
"""

from __future__ import annotations

import argparse

from ..nn import GRADIENT_METHODS
from ..nn.trainer import MAX_MAXITER

__all__ = [
    "add_data_and_network_options",
    "parse_fraction",
    "parse_lambda",
    "parse_layers",
    "parse_maxiter",
    "parse_method",
    "parse_path",
    "parse_positive_int",
    "parse_seed",
    "parse_targets",
]

#: Hidden units when ``--layers`` is not given (the series' 3).
DEFAULT_HIDDEN = 3


def parse_path(text: str) -> str:
    """A file or folder name, as given; an empty one is refused (it would read as "not given")."""
    if not text:
        raise argparse.ArgumentTypeError("the path is empty (''); give a file or folder name")
    return text


def parse_layers(text: str) -> tuple[int, ...]:
    """``"2,3,1"`` -> ``(2, 3, 1)``: at least two positive integers, inputs first."""
    parts = [part.strip() for part in text.split(",")]
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of layer sizes such as 2,3,1"
        ) from None
    if len(sizes) < 2:
        raise argparse.ArgumentTypeError(
            f"{text!r} names {len(sizes)} layer; give inputs and outputs at least (e.g. 2,3,1)"
        )
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: every layer needs at least one unit")
    return sizes


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
    return value


def parse_positive_int(text: str) -> int:
    """A whole number >= 1."""
    return _whole_number(text, 1)


def parse_maxiter(text: str) -> int:
    """An iteration limit: a whole number from 1 to :data:`~tinygrad_nnd.nn.trainer.MAX_MAXITER`."""
    value = _whole_number(text, 1)
    if value > MAX_MAXITER:
        raise argparse.ArgumentTypeError(
            f"{text!r} is more iterations than SciPy can count; give at most {MAX_MAXITER}"
        )
    return value


def parse_seed(text: str) -> int:
    """A random seed: a whole number >= 0."""
    return _whole_number(text, 0)


#: The largest ``--lambda``. The squared error is at most 1/2 per example and output, so a
#: weight of 1e6 already makes the penalty outweigh it a millionfold (every weight goes to 0);
#: far larger ones overflow in the optimizer's steps.
MAX_LAMBDA = 1e6


def parse_lambda(text: str) -> float:
    """The regularization weight: a number from 0 to :data:`MAX_LAMBDA`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= MAX_LAMBDA:  # NaN fails too
        raise argparse.ArgumentTypeError(
            f"{text!r} must be a number from 0 to 1e6 (the series uses 1e-4; larger values only push every weight to 0)"
        )
    return value


def parse_fraction(text: str) -> float:
    """A fraction strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a fraction between 0 and 1 (e.g. 0.25)")
    return value


def parse_method(text: str) -> str:
    """A SciPy method that uses the gradient, matched without regard to case."""
    by_folded_name = {method.casefold(): method for method in GRADIENT_METHODS}
    try:
        return by_folded_name[text.casefold()]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"unknown method {text!r}; choose one of {', '.join(GRADIENT_METHODS)}"
        ) from None


def parse_targets(text: str) -> tuple[str, ...]:
    """``"a,b"`` -> ``("a", "b")``: target column names, none empty or repeated."""
    names = tuple(name.strip() for name in text.split(","))
    if any(not name for name in names):
        raise argparse.ArgumentTypeError(f"{text!r} has an empty column name")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r} names a column twice")
    return names


def add_data_and_network_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command that builds a network for data: which data, which network.

    ``--data``, ``--target`` and ``--one-hot`` are read by :func:`.network.scaled_data`;
    ``--layers``, ``--seed``, ``--init``, ``--lambda`` and ``--mean-cost`` by :func:`.network.build_network`.
    """
    _add_data_options(parser)
    _add_network_options(parser)


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    """``--data`` (a built-in set or a CSV file) and, for CSV files, ``--target`` and ``--one-hot``."""
    parser.add_argument(
        "--data",
        type=parse_path,
        default="sleep",
        metavar="sleep|iris|PATH.csv",
        help="the data: the series' sleep/study scores, Fisher's iris, or a CSV file with a header row (default: sleep)",
    )
    parser.add_argument(
        "--target",
        type=parse_targets,
        metavar="NAME[,NAME]",
        help="for a CSV file: the target column(s); the other columns are the inputs (default: the last column)",
    )
    parser.add_argument(
        "--one-hot",
        action="store_true",
        help="for a CSV file: the single target column holds class labels (whole numbers); "
        "the network has one output per class (and train reports the accuracy)",
    )


def _add_network_options(parser: argparse.ArgumentParser) -> None:
    """``--layers``, ``--seed``, ``--lambda``, ``--mean-cost``, ``--bias`` and ``--softmax``: which network to build."""
    parser.add_argument(
        "--layers",
        type=parse_layers,
        metavar="N,N,...,N",
        help=f"units per layer, inputs first (default: the data's inputs, {DEFAULT_HIDDEN} hidden, the data's targets)",
    )
    parser.add_argument("--seed", type=parse_seed, default=0, help="seed of the initial weights (default: 0)")
    parser.add_argument(
        "--init",
        choices=("uniform", "fan-in"),
        default="uniform",
        help="initial weights: uniform in [0, 1) as in the series (default), or fan-in: uniform in "
        "+-sqrt(3/inputs of the layer), which keeps the sigmoids of wide layers from saturating",
    )
    parser.add_argument(
        "--lambda",
        dest="Lambda",
        type=parse_lambda,
        default=0.0,
        metavar="LAMBDA",
        help="weight of the regularization term (Lambda/2) * sum(W**2) (Part VII; default: 0)",
    )
    parser.add_argument(
        "--mean-cost",
        action="store_true",
        help="divide the squared error by the number of examples (Part VII's cost)",
    )
    parser.add_argument(
        "--bias",
        action="store_true",
        help="give every layer a bias vector b_l (z = a W + b), starting at 0",
    )
    parser.add_argument(
        "--softmax",
        action="store_true",
        help="a softmax output layer with the cross-entropy cost, for class targets (instead of the series' "
        "sigmoid output and squared error)",
    )
