"""``tinygrad-nnd explain``: the backward pass of the network's cost, one step per node."""

from __future__ import annotations

import argparse
from typing import Any

from ..viz.trace import explain_network
from .errors import EXIT_CHECK_FAILED
from .network import build_network, scaled_data
from .options import add_data_and_network_options, parse_positive_int

__all__ = ["register", "run"]

DESCRIPTION = """\
Walk through the backward pass of the cost of the series' network (or of
--layers on --data), one step per node in the order backpropagation runs it:
what gradient arrives, which rule applies, what goes on to the inputs. The
gradients that reach z_3 and z_2 are compared with the hand-written delta_3 and
delta_2 of Part IV. Exit status 1 if they disagree.
"""


def register(subparsers: Any) -> None:
    """Add the ``explain`` command."""
    parser = subparsers.add_parser(
        "explain",
        help="the backward pass step by step, checked against delta_3, delta_2",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_and_network_options(parser)
    parser.add_argument(
        "--precision", type=parse_positive_int, default=4, help="digits after the decimal point in the arrays shown (default: 4)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Trace the backward pass and print it."""
    data, X, y = scaled_data(args)
    N = build_network(args, data)
    explanation = explain_network(N, X, y)
    print(explanation.format(precision=args.precision))
    return 0 if explanation.agrees() else EXIT_CHECK_FAILED
