"""``tinygrad-nnd explain``: the backward pass of the network's cost, one step per node."""

from __future__ import annotations

import argparse
from typing import Any

from ..viz.network import explain_network
from ..viz.page import backward_pass_html
from .errors import EXIT_CHECK_FAILED, CLIError
from .network import build_network, scaled_data
from .options import add_data_and_network_options, parse_path, parse_positive_int
from .output import check_new_file, new_parent_folders

__all__ = ["register", "run"]

DESCRIPTION = """\
Walk through the backward pass of the cost of the series' network (or of
--layers on --data), one step per node in the order backpropagation runs it:
what gradient arrives, which rule applies, what goes on to the inputs. The
gradients that reach z_3 and z_2 are compared with the hand-written delta_3 and
delta_2 of Part IV. Exit status 1 if they disagree.

With --html FILE it writes the same walk-through as one web page to step
through in a browser (previous/next, arrow keys), the current node highlighted
in the cost graph; the page needs no network. Graphviz's 'dot' program draws
the graph where it is installed; otherwise a plainer layout of our own does.
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
    parser.add_argument(
        "--html",
        type=parse_path,
        metavar="FILE",
        help="also write the backward pass as a self-contained web page to FILE (its folder is created if missing)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite an existing --html file (only ever a page written by this command)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Trace the backward pass and print it (and write it as a page with --html)."""
    out = None
    if args.html:
        out = check_new_file(args.html, args.force, kind="html", option="--html", sources={"--data": args.data})
    data, X, y = scaled_data(args)
    N = build_network(args, data)
    explanation = explain_network(N, X, y)
    page = None
    if out is not None:  # made before anything is printed, so that a failing Graphviz stops all
        try:
            page = backward_pass_html(N, X, y, precision=args.precision)
        except RuntimeError as error:  # Graphviz failing (a missing one is drawn around): one line, exit status 2
            raise CLIError(str(error)) from None
    print(explanation.format(precision=args.precision))
    if out is not None and page is not None:
        with new_parent_folders(out):
            out.write_text(page, encoding="utf-8")
        print(f"wrote {out}")
    return 0 if explanation.agrees() else EXIT_CHECK_FAILED
