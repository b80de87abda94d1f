"""A plain drawing of a graph as SVG, made without Graphviz, for where ``dot`` is not installed.

Graphviz lays graphs out far better; this is the fallback of the backward-pass
page (:func:`~tinygrad_nnd.viz.backward_pass_html`), so that the page works with
nothing but Python installed. The drawing has the same parts as
:func:`~tinygrad_nnd.viz.to_dot`'s, with the same names: tensor ``%k`` is a box
titled ``tk``, the op that made it an ellipse titled ``opk``, and an edge from an
input into the op is titled ``tj->opk`` (as Graphviz titles the parts of its SVG).

The layout is in columns, from left to right: an op one column after the
latest of its inputs, its result one after the op, and each leaf or constant
in the column just before its first use.

Examples
--------
>>> from tinygrad_nnd import Tensor
>>> x = Tensor(2.0, requires_grad=True, name="x")
>>> svg = layered_svg(x.exp())
>>> svg.startswith("<svg") and "<title>t0-&gt;op1</title>" in svg
True
"""

from __future__ import annotations

import html

from ..engine import Tensor
from .graph import graph_nodes, node_depths, node_labels

__all__ = ["layered_svg"]

_CHAR = 7.0  # about the width of a character of the 12px font, in pixels
_ROW = 60.0  # from one row to the next
_GAP = 36.0  # between two columns
_MARGIN = 12.0


def layered_svg(root: Tensor) -> str:
    """The graph behind ``root`` as an SVG element (no Graphviz needed).

    Parameters
    ----------
    root : Tensor
        The result whose graph to draw.

    Returns
    -------
    str
        An ``<svg>`` element with its size and ``viewBox``, to put in an HTML page.
    """
    nodes = graph_nodes(root)
    labels = node_labels(nodes)
    k_of = {id(t): k for k, t in enumerate(nodes)}
    # Columns: an op node's result at 2 * (ops on the longest path to it), the op just before.
    column: dict[str, int] = {}
    depth = node_depths(root)
    for k, t in enumerate(nodes):
        if t.op is not None:
            column[f"t{k}"], column[f"op{k}"] = 2 * depth[id(t)], 2 * depth[id(t)] - 1
    first_use: dict[int, int] = {}  # the leftmost op column that uses each tensor
    for k, t in enumerate(nodes):
        for p in t.parents:
            first_use[id(p)] = min(first_use.get(id(p), column[f"op{k}"]), column[f"op{k}"])
    for k, t in enumerate(nodes):
        if t.op is None:
            column[f"t{k}"] = first_use.get(id(t), 1) - 1

    # What each part shows, and its size.
    text: dict[str, list[str]] = {}
    for k, t in enumerate(nodes):
        text[f"t{k}"] = [labels[id(t)], str(tuple(int(n) for n in t.shape))]
        if t.op is not None:
            text[f"op{k}"] = [t.op.describe()]
    width = {name: max(len(line) for line in lines) * _CHAR + 20 for name, lines in text.items()}
    n_columns = max(column.values()) + 1
    column_width = [max([width[n] for n in column if column[n] == c], default=0.0) for c in range(n_columns)]
    left = [_MARGIN + sum(column_width[:c]) + _GAP * c for c in range(n_columns)]
    # Rows: in each column, in the order the forward pass made the tensors.
    order = [name for k in range(len(nodes)) for name in (f"op{k}", f"t{k}") if name in column]
    row: dict[str, int] = {}
    filled = [0] * n_columns
    for name in order:
        row[name] = filled[column[name]]
        filled[column[name]] += 1
    center = {
        name: (left[column[name]] + column_width[column[name]] / 2, _MARGIN + _ROW / 2 + _ROW * row[name])
        for name in order
    }

    parts: list[str] = []
    for k, t in enumerate(nodes):
        if t.op is None:
            continue
        several = len(t.parents) > 1
        for i, parent in enumerate(t.parents, start=1):
            parts.append(_edge(f"t{k_of[id(parent)]}", f"op{k}", center, width, str(i) if several else ""))
        parts.append(_edge(f"op{k}", f"t{k}", center, width, ""))
    for k, t in enumerate(nodes):
        fill = "#ffffff" if t.op is not None else "#cfe2ff" if t.requires_grad else "#e9ecef"
        if t.op is not None:
            parts.append(_part(f"op{k}", "ellipse", center, width, text, "#ffffff"))
        parts.append(_part(f"t{k}", "box", center, width, text, fill))
    total_width = left[-1] + column_width[-1] + _MARGIN
    total_height = 2 * _MARGIN + _ROW * max(filled)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}" height="{total_height:.0f}" '
        f'viewBox="0 0 {total_width:.0f} {total_height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="12">\n'
        + "\n".join(parts)
        + "\n</svg>"
    )


def _part(
    name: str,
    shape: str,
    center: dict[str, tuple[float, float]],
    width: dict[str, float],
    text: dict[str, list[str]],
    fill: str,
) -> str:
    """A tensor's box or an op's ellipse, with its title and text."""
    x, y = center[name]
    w = width[name]
    lines = text[name]
    if shape == "box":
        h = 34.0
        x0, y0, x1, y1 = x - w / 2, y - h / 2, x + w / 2, y + h / 2
        outline = f'<polygon fill="{fill}" stroke="black" points="{x0:.1f},{y0:.1f} {x1:.1f},{y0:.1f} {x1:.1f},{y1:.1f} {x0:.1f},{y1:.1f}"/>'
    else:
        outline = f'<ellipse fill="{fill}" stroke="black" cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="15"/>'
    first = y + 4 - 7 * (len(lines) - 1)
    words = "".join(
        f'<text text-anchor="middle" x="{x:.1f}" y="{first + 14 * i:.1f}">{html.escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return f'<g class="node"><title>{name}</title>{outline}{words}</g>'


def _edge(source: str, target: str, center: dict[str, tuple[float, float]], width: dict[str, float], label: str) -> str:
    """A curve from the right side of ``source`` to an arrowhead at the left side of ``target``."""
    (xs, ys), (xt, yt) = center[source], center[target]
    x1, x2 = xs + width[source] / 2, xt - width[target] / 2 - 6
    mid = (x1 + x2) / 2
    path = f'<path fill="none" stroke="black" d="M{x1:.1f},{ys:.1f} C{mid:.1f},{ys:.1f} {mid:.1f},{yt:.1f} {x2:.1f},{yt:.1f}"/>'
    head = f'<polygon fill="black" stroke="black" points="{x2:.1f},{yt - 4:.1f} {x2 + 6:.1f},{yt:.1f} {x2:.1f},{yt + 4:.1f}"/>'
    number = f'<text x="{x1 + 4:.1f}" y="{ys - 5:.1f}" font-size="10">{label}</text>' if label else ""
    return f'<g class="edge"><title>{html.escape(source + "->" + target)}</title>{path}{head}{number}</g>'
