"""Views of the graph behind a Tensor: a table, a tree, and Graphviz DOT text.

Every Tensor made by an op remembers the op (:attr:`Tensor.op`) and its inputs
(:attr:`Tensor.parents`). Following the inputs back from a result gives the
whole computation, *including* the constants (the data ``X`` and ``y``, numbers
such as ``0.5``) that the engine's :func:`~tinygrad_nnd.topological_order` skips
because they need no gradient. The views here show all of it.

All views number the nodes ``%0, %1, ...`` in one fixed order (inputs before the
ops that use them, in the order the forward pass computed them), so the same
graph always prints the same text: no memory addresses, no dictionary order.
The walks use an explicit stack instead of recursion, so a chain of 100,000 ops
prints without a RecursionError.

Examples
--------
>>> from tinygrad_nnd import Tensor
>>> from tinygrad_nnd.viz import format_graph
>>> w = Tensor([1.0, 2.0], requires_grad=True, name="w")
>>> loss = (3.0 * w).sum()
>>> loss.name = "loss"
>>> print(format_graph(loss))
id  label  op     inputs  shape  requires_grad
%0  3      const  -       ()     no
%1  w      leaf   -       (2,)   yes
%2         mul    %0, %1  (2,)   yes
%3  loss   sum    %2      ()     yes
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import Tensor, topological_order
from ..text import format_table

__all__ = [
    "dot_image",
    "format_graph",
    "format_tree",
    "graph_nodes",
    "node_depths",
    "node_labels",
    "render",
    "summarize_array",
    "to_dot",
]


# ----------------------------------------------------------------------------- walking the graph


def node_depths(root: Tensor) -> dict[int, int]:
    """How many ops lie on the longest path from a leaf or constant to each node, by ``id``.

    Leaves and constants are at depth 0, an op's result one deeper than its deepest input.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> x = Tensor([1.0], requires_grad=True)
    >>> y = (x * 2).sum()
    >>> sorted(node_depths(y).values())
    [0, 0, 1, 2]
    """
    depth: dict[int, int] = {}
    for node in topological_order(root, inputs_of=lambda node: node.parents):
        depth[id(node)] = max((depth[id(p)] for p in node.parents), default=-1) + 1
    return depth


def graph_nodes(root: Tensor) -> list[Tensor]:
    """Every tensor that ``root`` was computed from (constants too), inputs before their users.

    The order is a depth-first post-order that, at each op, first visits the input
    with the longest history. That reproduces the forward pass of a layered network:
    ``X, W_1, z_2, a_2, W_2, z_3, y_hat, y, ...`` rather than starting from a stray
    constant. Each tensor appears once, however many ops use it.

    Parameters
    ----------
    root : Tensor
        The result whose graph to walk (often a scalar cost).

    Returns
    -------
    list of Tensor
        All nodes, ``root`` last. A tensor with no op is a single-node graph.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> y = x * x + 1.0
    >>> [t.name or (t.op.name if t.op else "const") for t in graph_nodes(y)]
    ['x', 'mul', 'const', 'add']
    """
    depth = node_depths(root)

    def deepest_first(node: Tensor) -> Sequence[Tensor]:
        parents = node.parents
        if len(parents) == 2:  # the common case, without the cost of a sort
            a, b = parents
            return (b, a) if depth[id(b)] > depth[id(a)] else parents
        if len(parents) > 2:  # a stable sort keeps argument order for ties
            return sorted(parents, key=lambda p: -depth[id(p)])
        return parents

    return topological_order(root, inputs_of=deepest_first)


def _format_number(value: Any) -> str:
    """A short text for a one-number constant: ``0.5``, ``2``, ``0.0001``."""
    return f"{float(value):g}"


def _given_label(node: Tensor) -> str | None:
    """The node's name, or the value of an unnamed number constant; None if it has neither."""
    if node.name:
        return node.name
    if node.op is None and not node.requires_grad and node.data.ndim == 0:
        return _format_number(node.data)
    return None


def node_labels(nodes: list[Tensor]) -> dict[int, str]:
    """A readable, unique label for each node, keyed by ``id(node)``.

    ``nodes`` is a list such as :func:`graph_nodes` gives; node ``k`` in it has the
    id ``%k``. The label is the node's :attr:`~Tensor.name` when it has one, the value
    of an unnamed 0-d constant (``0.5``), and ``%k`` otherwise. A name that several
    nodes share gets its id appended (``x (%3)``) so that labels can be looked up.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> nodes = graph_nodes(0.5 * x * x)
    >>> [node_labels(nodes)[id(t)] for t in nodes]
    ['0.5', 'x', '%2', '%3']
    """
    base = [_given_label(node) for node in nodes]
    counts: dict[str, int] = {}
    for b in base:
        if b is not None:
            counts[b] = counts.get(b, 0) + 1
    labels: dict[int, str] = {}
    for k, (node, b) in enumerate(zip(nodes, base)):
        if b is None:
            labels[id(node)] = f"%{k}"
        elif counts[b] > 1 and node.name:  # equal constants may share their value as label
            labels[id(node)] = f"{b} (%{k})"
        else:
            labels[id(node)] = b
    return labels


def _kind(node: Tensor) -> str:
    """``leaf`` (a gradient is wanted), ``const`` (data, numbers), or the op's description."""
    if node.op is not None:
        return node.op.describe()
    return "leaf" if node.requires_grad else "const"


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(int(n) for n in shape))


# ----------------------------------------------------------------------------- text views


def format_graph(root: Tensor) -> str:
    """The graph behind ``root`` as a table, one row per node, inputs before their users.

    Columns: the id (``%k``), the label (the node's name, or the value of a number
    constant), the op with its parameters (``sum(axis=0, keepdims=False)``; ``leaf``
    for a tensor whose gradient is wanted, ``const`` for data), the ids of the op's
    inputs, the shape, and whether the node requires a gradient.

    Parameters
    ----------
    root : Tensor
        The result whose graph to show.

    Returns
    -------
    str
        The table, with no trailing newline.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> x = Tensor([[1.0, 2.0]], name="X")
    >>> W = Tensor([[0.5], [0.25]], requires_grad=True, name="W_1")
    >>> z = x @ W
    >>> z.name = "z_2"
    >>> print(format_graph(z.sigmoid()))
    id  label  op       inputs  shape   requires_grad
    %0  X      const    -       (1, 2)  no
    %1  W_1    leaf     -       (2, 1)  yes
    %2  z_2    dot      %0, %1  (1, 1)  yes
    %3         sigmoid  %2      (1, 1)  yes
    """
    nodes = graph_nodes(root)
    ids = {id(node): k for k, node in enumerate(nodes)}
    rows = [["id", "label", "op", "inputs", "shape", "requires_grad"]]
    for k, node in enumerate(nodes):
        label = _given_label(node) or ""  # the id column already identifies the others
        inputs = ", ".join(f"%{ids[id(p)]}" for p in node.parents) or "-"
        rows.append(
            [f"%{k}", label, _kind(node), inputs, _shape_text(node.shape), "yes" if node.requires_grad else "no"]
        )
    return format_table(rows)


def format_tree(root: Tensor, max_depth: int = 60) -> str:
    """The graph behind ``root`` as an indented tree: the result on top, its inputs below.

    Each line shows a node's label, the op that made it and its shape. A node that
    several ops use is drawn in full once; later uses say ``(see above)``. Deeper
    than ``max_depth`` levels the tree stops with ``...`` (a long chain would
    otherwise print an ever wider staircase).

    Parameters
    ----------
    root : Tensor
        The result whose graph to show.
    max_depth : int, optional
        The deepest level drawn (the root is level 0).

    Returns
    -------
    str
        The tree, drawn with ASCII characters, no trailing newline.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> y = (x * x).sum()
    >>> y.name = "y"
    >>> print(format_tree(y))
    y = sum  ()
    `-- %1 = mul  (2,)
        |-- x  leaf (2,)
        `-- x (see above)
    """
    nodes = graph_nodes(root)
    labels = node_labels(nodes)
    drawn: set[int] = set()
    lines: list[str] = []
    # (node, prefix for this line, prefix for its children, depth)
    stack: list[tuple[Tensor, str, str, int]] = [(root, "", "", 0)]
    while stack:
        node, prefix, child_prefix, depth = stack.pop()
        label = labels[id(node)]
        if id(node) in drawn:
            lines.append(f"{prefix}{label} (see above)")
            continue
        drawn.add(id(node))
        shape = _shape_text(node.shape)
        if node.op is None:
            lines.append(f"{prefix}{label}  {_kind(node)} {shape}")
            continue
        lines.append(f"{prefix}{label} = {node.op.describe()}  {shape}")
        if depth >= max_depth:
            lines.append(
                f"{child_prefix}`-- ... ({len(node.parents)} input(s) not shown: deeper than max_depth={max_depth})"
            )
            continue
        children = []
        for i, parent in enumerate(node.parents):
            last = i == len(node.parents) - 1
            children.append(
                (
                    parent,
                    child_prefix + ("`-- " if last else "|-- "),
                    child_prefix + ("    " if last else "|   "),
                    depth + 1,
                )
            )
        stack.extend(reversed(children))  # first input is drawn first
    return "\n".join(lines)


# ----------------------------------------------------------------------------- Graphviz


def _dot_string(text: str) -> str:
    """``text`` as a quoted DOT string: backslashes and quotes escaped, newlines as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(
    root: Tensor,
    title: str | None = None,
    *,
    values: bool = False,
    grads: Mapping[int, np.ndarray] | None = None,
    precision: int = 4,
    max_elements: int = 20,
) -> str:
    """The graph behind ``root`` as Graphviz DOT text (no Graphviz needed to make it).

    Each tensor is a box labelled with its name (or id) and shape; each op is an
    ellipse; edges run from the inputs into the op and from the op to its result.
    When an op has several inputs, the edges are numbered in argument order (``a - b``
    is not ``b - a``). Leaves that require a gradient are shaded blue, constants grey.
    In DOT, tensor ``%k`` is the node ``tk`` and the op that made it ``opk``.

    Parameters
    ----------
    root : Tensor
        The result whose graph to draw.
    title : str, optional
        A caption for the drawing.
    values : bool, optional
        Also write each tensor's value in its box (see :func:`summarize_array`).
    grads : mapping of int to ndarray, optional
        Gradients to write in the boxes, keyed by ``id(tensor)``; tensors missing
        from it show none. :func:`~tinygrad_nnd.viz.draw_graph` fills it.
    precision : int, optional
        Digits after the decimal point for values and gradients.
    max_elements : int, optional
        Arrays with more elements are summarized (min, mean, max) instead of shown.

    Returns
    -------
    str
        A ``digraph``; pass it to :func:`render`, or to ``dot -Tsvg`` yourself.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> print(to_dot(x.exp()))
    digraph tinygrad_nnd {
      rankdir=LR;
      node [fontname="Helvetica"];
      t0 [shape=box, style=filled, fillcolor="#cfe2ff", label="x\\n()"];
      op1 [shape=ellipse, label="exp"];
      t0 -> op1;
      t1 [shape=box, label="%1\\n()"];
      op1 -> t1;
    }
    """
    nodes = graph_nodes(root)
    ids = {id(node): k for k, node in enumerate(nodes)}
    labels = node_labels(nodes)
    lines = ["digraph tinygrad_nnd {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    if title:
        lines.append(f"  label={_dot_string(title)};")
        lines.append("  labelloc=t;")
    detailed = values or grads is not None
    for k, node in enumerate(nodes):
        if detailed:
            grad = None if grads is None else grads.get(id(node))
            box_label = _details_label(labels[id(node)], node, values, grad, precision, max_elements)
        else:
            box_label = _dot_string(f"{labels[id(node)]}\n{_shape_text(node.shape)}")
        if node.op is None:
            # Declared before any op uses it: nodes come inputs first.
            fill = "#cfe2ff" if node.requires_grad else "#e9ecef"
            lines.append(f'  t{k} [shape=box, style=filled, fillcolor="{fill}", label={box_label}];')
            continue
        lines.append(f"  op{k} [shape=ellipse, label={_dot_string(node.op.describe())}];")
        several = len(node.parents) > 1
        for i, parent in enumerate(node.parents, start=1):
            edge_label = f' [label="{i}"]' if several else ""
            lines.append(f"  t{ids[id(parent)]} -> op{k}{edge_label};")
        lines.append(f"  t{k} [shape=box, label={box_label}];")
        lines.append(f"  op{k} -> t{k};")
    lines.append("}")
    return "\n".join(lines)


def summarize_array(a: Any, precision: int = 4, max_elements: int = 20) -> str:
    """An array as text: in full when it has at most ``max_elements`` elements, else min, mean and max.

    Parameters
    ----------
    a : array_like
    precision : int, optional
        Digits after the decimal point (significant digits in a summary).
    max_elements : int, optional
        The largest array written in full.

    Returns
    -------
    str
        One or more lines.

    Examples
    --------
    >>> print(summarize_array([[0.5, 0.25], [1.0, 2.0]]))
    [[0.5  0.25]
     [1.   2.  ]]
    >>> print(summarize_array(np.arange(100.0)))
    100 values: min 0, mean 49.5, max 99
    """
    a = np.asarray(a)
    if a.size <= max_elements:
        return np.array2string(a, precision=precision)
    if a.dtype.kind not in "biuf":  # complex or other: no order to summarize by
        return f"{a.size} values of dtype {a.dtype}"
    g = f".{precision}g"
    return f"{a.size} values: min {a.min():{g}}, mean {a.mean():{g}}, max {a.max():{g}}"


def _details_label(
    label: str, node: Tensor, values: bool, grad: np.ndarray | None, precision: int, max_elements: int
) -> str:
    """A Graphviz HTML-like label: the name and shape on top, then the value and the gradient."""

    def rows(head: str, a: Any, color: str) -> str:
        text = summarize_array(a, precision, max_elements)
        # Spaces as &#160;: Graphviz would drop the ones that align the rows of a matrix.
        lines = [html.escape(line).replace(" ", "&#160;") for line in text.splitlines()]
        pad = "&#160;" * len(head)
        body = "<BR/>".join([head.replace(" ", "&#160;") + lines[0]] + [pad + line for line in lines[1:]])
        return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT FACE="monospace" POINT-SIZE="10" COLOR="{color}">{body}</FONT></TD></TR>'

    parts = [f'<TR><TD ALIGN="LEFT"><B>{html.escape(label)}</B>&#160;&#160;{_shape_text(node.shape)}</TD></TR>']
    if values:
        parts.append(rows("data ", node.data, "#212529"))
    if grad is not None:
        parts.append(rows("grad ", grad, "#b02a37"))
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(parts) + "</TABLE>>"


_GRAPHVIZ_HELP = (
    "the Graphviz program 'dot' was not found on PATH; install Graphviz "
    "(Debian/Ubuntu: 'sudo apt-get install graphviz', macOS: 'brew install graphviz', "
    "conda: 'conda install -c conda-forge graphviz', Windows: https://graphviz.org/download/), "
    "or save the DOT text and render it elsewhere"
)


def render(dot_text: str, path: str | os.PathLike[str], format: str | None = None) -> Path:
    """Draw DOT text into an image file with Graphviz's ``dot`` program.

    Parameters
    ----------
    dot_text : str
        A graph, e.g. from :func:`to_dot`.
    path : str or path-like
        The file to write.
    format : str, optional
        Any output format ``dot`` knows (``svg``, ``png``, ``pdf``, ...). By default
        taken from the file's suffix, and ``svg`` when it has none.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    RuntimeError
        If ``dot`` is not installed (the message says how to get it), or if it fails.
    ValueError
        If ``format`` is not a plain format name.
    """
    path = Path(path)
    if format is None:
        format = path.suffix.lstrip(".") or "svg"
    _run_dot(dot_text, format, ["-o", str(path)], f"render: cannot write {path}")
    return path


def dot_image(dot_text: str, format: str = "svg") -> bytes:
    """Draw DOT text with Graphviz's ``dot`` program and return the image (no file written).

    Parameters
    ----------
    dot_text : str
        A graph, e.g. from :func:`to_dot`.
    format : str, optional
        Any output format ``dot`` knows: ``svg`` (text; decode it as UTF-8), ``png``, ...

    Returns
    -------
    bytes

    Raises
    ------
    RuntimeError
        If ``dot`` is not installed (the message says how to get it), or if it fails.
    ValueError
        If ``format`` is not a plain format name.
    """
    return _run_dot(dot_text, format, [], f"dot_image: cannot draw {format}")


def _run_dot(dot_text: str, format: str, extra_args: list[str], what: str) -> bytes:
    """Run ``dot -T<format> *extra_args`` on ``dot_text``; its standard output, or a RuntimeError."""
    if not re.fullmatch(r"[A-Za-z0-9_:]+", format):
        raise ValueError(
            f"{what.split(':')[0]}: {format!r} is not a Graphviz output format name (e.g. 'svg', 'png', 'pdf')"
        )
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(f"{what}: {_GRAPHVIZ_HELP}")
    try:
        done = subprocess.run(
            [dot, f"-T{format}", *extra_args],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            check=True,
            timeout=120,
        )
    except subprocess.CalledProcessError as error:
        stderr = error.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{what}: 'dot -T{format}' failed: {stderr}") from None
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what}: 'dot' took longer than 120 s") from None
    return done.stdout
