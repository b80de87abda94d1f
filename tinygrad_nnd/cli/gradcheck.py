"""``tinygrad-nnd gradcheck``: the network's gradient three ways (Part V), compared pairwise."""

from __future__ import annotations

import argparse
from typing import Any

from ..nn.gradient_check import NORM_RATIO_LIMIT, format_gradient_checks, three_way_gradient_check, verdict
from .errors import EXIT_CHECK_FAILED
from .network import build_network, scaled_data
from .options import add_data_and_network_options

__all__ = ["register", "run"]

DESCRIPTION = f"""\
Compute the gradient of the cost at the initial weights three ways (automatic
differentiation, the series' hand-written chain rule, central differences with
epsilon 1e-4) and compare each pair: the series' norm ratio
norm(a - b) / norm(a + b) and the largest absolute difference. The data are
scaled as 'train' scales them. Exit status 1 if a ratio is {NORM_RATIO_LIMIT:g} or more,
unless the only failures are against central differences where the gradient is all
but zero (every difference within their own error): then the ratio cannot judge,
the table says "can't tell", and a line says why and what to try.
"""


def register(subparsers: Any) -> None:
    """Add the ``gradcheck`` command."""
    parser = subparsers.add_parser(
        "gradcheck",
        help="compare autodiff, hand-written and numerical gradients",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_and_network_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the network, compare its gradients, print the table."""
    data, X, y = scaled_data(args)
    N = build_network(args, data)
    print(f"network: {N!r}, {N.n_params} weights from seed {args.seed}")
    print(f"data: {data.describe()}")
    comparisons = three_way_gradient_check(N, X, y)
    print(format_gradient_checks(comparisons))
    if all(c.passed for c in comparisons):
        return 0
    print(verdict(comparisons))
    return EXIT_CHECK_FAILED if any(c.failed for c in comparisons) else 0
