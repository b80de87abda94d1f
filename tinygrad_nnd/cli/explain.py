"""``tinygrad-nnd explain``: the backward pass of the network's cost, one step per node."""

from __future__ import annotations

import argparse
import re
from typing import Any

import numpy as np

from ..nn import NeuralNetwork
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

With --code it prints instead the gradient as code: the NumPy source that
autodiff compiled for the cost (what N.cost_and_gradients runs), and beside it
the series' hand-written cost_function_prime, with the lines that match.

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
        "--precision",
        type=parse_positive_int,
        default=4,
        help="digits after the decimal point in the arrays shown (default: 4)",
    )
    parser.add_argument(
        "--html",
        type=parse_path,
        metavar="FILE",
        help="also write the backward pass as a self-contained web page to FILE (its folder is created if missing)",
    )
    parser.add_argument(
        "--code",
        action="store_true",
        help="print the compiled forward and backward source of the cost beside the series' cost_function_prime",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing --html file (only ever a page written by this command)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Trace the backward pass and print it (and write it as a page with --html)."""
    out = None
    if args.html:
        out = check_new_file(args.html, args.force, kind="html", option="--html", sources={"--data": args.data})
    data, X, y = scaled_data(args)
    N = build_network(args, data)
    if args.code:
        print(format_code(N, X, y))
        return (
            0
            if np.allclose(N.compute_gradients(X, y), N.compute_gradients_by_hand(X, y), rtol=1e-10)
            else EXIT_CHECK_FAILED
        )
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


#: The series' hand-written gradient (Part IV), as the seed notebook writes it.
SERIES_COST_FUNCTION_PRIME = """\
def cost_function_prime(self, X, y):
    self.y_hat = self.forward(X)
    error = (y - self.y_hat)
    delta_3 = np.multiply(-1 * error, sigmoid_prime(self.z_3))
    dJ_dW_2 = np.dot(self.a_2.T, delta_3)
    delta_2 = np.dot(delta_3, self.W_2.T) * sigmoid_prime(self.z_2)
    dJ_dW_1 = np.dot(X.T, delta_2)
    return dJ_dW_1, dJ_dW_2"""


def format_code(N: NeuralNetwork, X: np.ndarray, y: np.ndarray) -> str:
    """The compiled source of the cost and its gradient, the series' version, and which lines match."""
    source = N.cost_and_gradients_source(X, y).rstrip("\n")
    L = N.n_layers
    matches = [("dJ_dy_hat", "-1 * error")]
    for l in range(L + 1, 1, -1):  # delta_{L+1} down to delta_2
        matches.append((f"dJ_dz_{l}", f"delta_{l}"))
    for l in range(L, 0, -1):
        activation = "X" if l == 1 else f"a_{l}"
        matches.append((f"dJ_dW_{l}", f"dJ_dW_{l} = {activation}.T @ delta_{l + 1}"))
    found = [(name, series) for name, series in matches if re.search(rf"^    {name} = ", source, flags=re.M)]
    width = max(len(name) for name, _ in found)
    lines = [
        f"The gradient of the cost as code: what autodiff compiled for {N!r} on X {X.shape[0]}x{X.shape[1]}",
        "(N.cost_and_gradients runs it; dJ_dv is dJ/dv, each backward line names the op's rule)",
        "",
        source,
        "",
        "The series' hand-written chain rule (Part IV), for one hidden layer:",
        "",
        SERIES_COST_FUNCTION_PRIME,
        "",
        "Which compiled line is which step of the series:",
    ]
    lines += [f"  {name:<{width}}  is  {series}" for name, series in found]
    if L > 2:
        lines.append("  (deeper networks repeat the hidden-layer step once per layer: delta_l from delta_{l+1})")
    return "\n".join(lines)
