"""``tinygrad-nnd graph``: the cost graph of the network, as text, DOT, or a Graphviz drawing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..viz.graph import format_graph, format_tree, render, to_dot
from ..viz.network import network_cost_graph
from .errors import CLIError
from .network import build_network, scaled_data
from .options import add_data_and_network_options, parse_path
from .output import check_new_file, new_parent_folders

__all__ = ["register", "run"]

#: Formats written as text (to standard output, or to --out).
TEXT_FORMATS = ("text", "tree", "dot")
#: Formats drawn by Graphviz's dot program into --out.
IMAGE_FORMATS = ("svg", "png", "pdf")

DESCRIPTION = """\
Show the graph of operations behind the cost J of the series' network (or of
--layers on --data): every node with its op, inputs and shape.

  text  a table, one row per node (default)
  tree  an indented tree, J at the top
  dot   Graphviz DOT text
  svg, png, pdf
        a drawing made by Graphviz's 'dot' program, written to --out FILE
        (exit status 2, saying how to install Graphviz, if it is missing)
"""


def register(subparsers: Any) -> None:
    """Add the ``graph`` command."""
    parser = subparsers.add_parser(
        "graph",
        help="the cost graph as text, DOT, or an SVG/PNG drawing",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_and_network_options(parser)
    parser.add_argument("--format", choices=TEXT_FORMATS + IMAGE_FORMATS, default="text", help="(default: text)")
    parser.add_argument(
        "--out",
        type=parse_path,
        metavar="FILE",
        help="write to FILE (its folder is created if missing) instead of standard output (needed for drawings)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing --out file (only ever a graph written by this command)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the cost graph and show or draw it."""
    if args.format in IMAGE_FORMATS and not args.out:
        raise CLIError(f"--format {args.format} draws a picture: give the file to write with --out FILE")
    out = None
    if args.out:
        out = check_new_file(args.out, args.force, kind="graph", option="--out", sources={"--data": args.data})
    data, X, y = scaled_data(args)
    N = build_network(args, data)
    J = network_cost_graph(N, X, y)
    if args.format in IMAGE_FORMATS:
        assert out is not None
        with new_parent_folders(out):
            _draw(to_dot(J, title=f"cost graph of {N!r}"), out, args.format)
        print(f"wrote {out}")
        return 0
    text = {"text": format_graph, "tree": format_tree, "dot": to_dot}[args.format](J)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        with new_parent_folders(out):
            out.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


def _draw(dot_text: str, out: Path, image_format: str) -> None:
    """Render with Graphviz; its absence or failure becomes a one-line CLIError."""
    try:
        render(dot_text, out, image_format)
    except RuntimeError as error:
        raise CLIError(str(error)) from None
