"""The backward pass of the network's cost as one web page, stepped through node by node.

:func:`backward_pass_html` writes a single self-contained HTML file: the cost
graph (inline SVG), and one panel per step of the backward
pass, the same steps and numbers as ``tinygrad-nnd explain``
(:func:`~tinygrad_nnd.viz.explain_network`). "Previous"/"Next" buttons and the
arrow keys move through the steps; the current node is highlighted in the
graph. Each panel shows the gradient arriving at the node, the op's rule
written with the series' names (the gradient arriving at ``z_3`` *is*
``delta_3``; what reaches ``W_2`` is ``dJdW2``), and what goes on to each input.

The page loads nothing: no network, no other file. Without JavaScript every
step is shown one below the other. The graph is drawn by Graphviz where its
``dot`` program is installed, and by a plainer layout of our own otherwise.
"""

from __future__ import annotations

import html
import re
import shutil
from typing import Any

import numpy as np

from ..engine import Tensor
from .graph import dot_image, graph_nodes, node_labels, to_dot
from .network import NetworkExplanation, explain_network, network_cost_graph
from .svg import layered_svg
from .trace import BackwardStep, rule_terms

__all__ = ["backward_pass_html", "series_gradient_names"]


def series_gradient_names(explanation: NetworkExplanation) -> dict[str, str]:
    """The series' name of ``dJ/d(node)``, by node label: ``z_3 -> delta_3``, ``W_2 -> dJdW2``.

    The deltas are those :func:`~tinygrad_nnd.viz.explain_network` checked; the
    weight gradients take the names of the series' code (``dJdW1, dJdW2 = ...``).

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> series_gradient_names(explain_network(NeuralNetwork(seed=0), *sleep_study()))
    {'z_3': 'delta_3', 'z_2': 'delta_2', 'W_1': 'dJdW1', 'W_2': 'dJdW2'}
    """
    names = {}
    for check in explanation.delta_checks:
        names[check.autodiff.split("/d", 1)[1]] = check.by_hand
    for check in explanation.weight_checks:
        names[check.autodiff.split("/d", 1)[1]] = check.by_hand.replace("_", "")
    return names


def backward_pass_html(N: Any, X: Any, y: Any, precision: int = 4) -> str:
    """One self-contained HTML page that steps through the backward pass of a network's cost.

    Parameters
    ----------
    N : NeuralNetwork
        Any depth; ``Lambda`` and ``mean_cost`` apply.
    X, y : array_like
        Inputs ``(n, inputs)`` and targets ``(n, outputs)``.
    precision : int, optional
        Digits after the decimal point in the arrays shown (as ``explain --precision``).

    Returns
    -------
    str
        The page. Its steps are ``<section class="step">`` elements whose
        ``data-node`` and ``data-op`` name the graph's nodes (``tk``, ``opk``:
        tensor ``%k`` and the op that made it, as in :func:`~tinygrad_nnd.viz.to_dot`).

    Notes
    -----
    The graph is drawn by Graphviz's ``dot`` program where it is installed, and
    otherwise by :func:`~tinygrad_nnd.viz.svg.layered_svg` (a plainer layout; the
    page then says how to install Graphviz).
    """
    explanation = explain_network(N, X, y)
    J = network_cost_graph(N, *N.check_data(X, y))
    nodes = graph_nodes(J)
    labels = node_labels(nodes)
    if shutil.which("dot"):
        svg = _inline_svg(dot_image(to_dot(J), "svg").decode("utf-8"))
    else:
        svg = _inline_svg(layered_svg(J)) + _NO_GRAPHVIZ
    return _page(explanation, nodes, labels, svg, precision)


# ----------------------------------------------------------------------------- building the page


_NO_GRAPHVIZ = (
    '\n<p class="note">Drawn without Graphviz, which lays graphs out better: install it '
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; conda: conda install graphviz) "
    "and write the page again.</p>"
)

#: The smallest zoom at which the graph is shown; a wider graph scrolls sideways instead.
MIN_GRAPH_ZOOM = 0.5


def _inline_svg(svg: str) -> str:
    """An SVG document as an element to put in HTML: no XML prolog or doctype, and a smallest width.

    The drawing is fitted to the page's width, but not below :data:`MIN_GRAPH_ZOOM`
    of its own size (Graphviz gives it in points, 4/3 of a CSS pixel), where the
    labels would be too small to read; a wider graph scrolls.
    """
    svg = svg[svg.index("<svg") :].strip()
    width = re.match(r'<svg[^>]*?\swidth="([\d.]+)(pt)?"', svg)
    if width:
        min_px = float(width.group(1)) * (4 / 3 if width.group(2) else 1) * MIN_GRAPH_ZOOM
        svg = f'<svg style="min-width: {min_px:.0f}px"' + svg[len("<svg") :]
    return svg


def _uses(nodes: list[Tensor]) -> dict[int, int]:
    """How many op inputs each node is, by ``id``: 1 means its gradient comes from one place."""
    count: dict[int, int] = {}
    for node in nodes:
        for parent in node.parents:
            count[id(parent)] = count.get(id(parent), 0) + 1
    return count


def _array(a: np.ndarray | None, precision: int) -> str:
    return "None" if a is None else np.array2string(np.asarray(a), precision=precision)


def _step_section(
    step: BackwardStep,
    node: Tensor,
    k: int,
    ids: dict[int, int],
    uses: dict[int, int],
    series: dict[str, str],
    root: str,
    precision: int,
) -> str:
    """The panel of one step, with the data the script needs to highlight its nodes."""
    assert node.op is not None  # the backward pass steps through op nodes only
    e = html.escape
    d_in = f"d{root}/d{step.label}"
    g_name = series.get(step.label, d_in)
    header = f"step {step.index}: {step.label} = {step.op_name}({', '.join(step.input_labels)})"
    if step.op != step.op_name:
        header += f" with {step.op[len(step.op_name) :].strip('()')}"
    incoming = f"{d_in} = {series[step.label]}" if step.label in series else d_in
    terms = rule_terms(node.op, step.input_labels, step.label, g=g_name)
    outputs = []
    for i, (parent, label, need, g) in enumerate(
        zip(node.parents, step.input_labels, step.input_requires_grad, step.input_grads)
    ):
        if not need or g is None:
            continue
        # The series' name belongs to the whole gradient of the input: only where this op is
        # its one use is what passes here all of it (with Lambda > 0, W_l gets a second share).
        whole = uses.get(id(parent), 0) == 1
        name = f"d{root}/d{label}"
        if whole and label in series:
            name = f"{name} = {series[label]}"
        elif not whole:
            name = f"a share of {name} (it has {uses[id(parent)]} uses, whose shares add up)"
        formula = f" = {terms[i]}" if terms is not None else ""
        note = ""
        if g.shape != step.input_shapes[i]:
            note = f'<p class="note">summed over the broadcast axes to {e(label)}\'s shape {step.input_shapes[i]}</p>'
        outputs.append(
            f'<div class="output" data-input="{e(label)}"><h4>to {e(label)}: <span class="name">{e(name)}</span>'
            f'<span class="formula">{e(formula)}</span></h4>'
            f'<pre class="grad-out">{e(_array(g, precision))}</pre>{note}</div>'
        )
    constants = [label for label, need in zip(step.input_labels, step.input_requires_grad) if not need]
    if constants:
        outputs.append(f'<p class="note">{e(", ".join(constants))}: constant, no gradient</p>')
    # The inputs that a gradient goes on to (their edges are highlighted), not the constants.
    inputs = " ".join(f"t{ids[id(p)]}" for p, need in zip(node.parents, step.input_requires_grad) if need)
    return (
        f'<section class="step" id="step-{step.index}" data-index="{step.index}" data-label="{e(step.label)}" '
        f'data-node="t{k}" data-op="op{k}" data-inputs="{inputs}">\n'
        f"<h2>{e(header)}</h2>\n"
        f'<p class="shapes">shapes {e(", ".join(str(s) for s in step.input_shapes))} &rarr; {e(str(step.output_shape))}</p>\n'
        f'<h3>gradient in: <span class="grad-in-name">{e(incoming)}</span></h3>\n'
        f'<pre class="grad-in">{e(_array(step.grad_in, precision))}</pre>\n'
        f'<h3>rule <span class="note">(g is the gradient in, {e(g_name)})</span></h3>\n<p class="rule">{e(step.rule)}</p>\n'
        f"<h3>passed to the inputs</h3>\n{''.join(outputs)}\n"
        "</section>"
    )


def _page(
    explanation: NetworkExplanation, nodes: list[Tensor], labels: dict[int, str], svg: str, precision: int
) -> str:
    e = html.escape
    trace = explanation.trace
    ids = {id(node): k for k, node in enumerate(nodes)}
    by_label = {labels[id(node)]: node for node in nodes}
    uses = _uses(nodes)
    series = series_gradient_names(explanation)
    root = trace.root_label
    sections = [
        _step_section(step, by_label[step.label], ids[id(by_label[step.label])], ids, uses, series, root, precision)
        for step in trace.steps
    ]
    step_list = "".join(
        f'<li><a href="#step-{s.index}" data-index="{s.index}">{e(s.label)} = {e(s.op_name)}</a></li>'
        for s in trace.steps
    )
    leaf_rows = "".join(
        f"<tr><th>d{e(root)}/d{e(label)}{' = ' + e(series[label]) if label in series else ''}</th>"
        f"<td><pre>{e(_array(g, precision))}</pre></td></tr>"
        for label, g in trace.grads.items()
    )
    checks = "".join(f"<li>{e(c.format())}</li>" for c in explanation.weight_checks + explanation.delta_checks)
    verdict = "agree" if explanation.agrees() else "DISAGREE"
    title = f"The backward pass of {root}: {explanation.network}"
    return _TEMPLATE.format(
        title=e(title),
        summary=e(f"{explanation.network} on {explanation.n_examples} examples: {root} = {explanation.cost:.6g}"),
        n_steps=len(trace.steps),
        svg=svg,
        sections="\n".join(sections),
        step_list=step_list,
        leaf_rows=leaf_rows,
        checks=checks,
        verdict=verdict,
        style=_STYLE,
        script=_SCRIPT,
    )


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1em 2em; color: #212529; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
#graph { overflow-x: auto; }
#graph svg { max-width: 100%; height: auto; }
#graph .node.current polygon, #graph .node.current ellipse { fill: #ffd43b; stroke: #d9480f; stroke-width: 3px; }
#graph .edge.passes-to path { stroke: #d9480f; stroke-width: 2.5px; }
#graph .edge.passes-to polygon { fill: #d9480f; stroke: #d9480f; }
#graph .node.receives polygon { stroke: #d9480f; stroke-width: 2px; }
nav { display: flex; align-items: center; gap: 1em; margin: 0.8em 0; }
nav button { font-size: 1em; padding: 0.3em 1em; }
#layout { display: flex; gap: 2em; align-items: flex-start; }
#steps { flex: 1; min-width: 0; }
#step-list { font-size: 0.9em; min-width: 12em; }
#step-list a.active { font-weight: bold; background: #ffd43b; }
.js section.step[hidden] { display: none; }
section.step { border-left: 4px solid #d9480f; padding-left: 1em; margin-bottom: 1.5em; }
section.step h2 { font-size: 1.15em; margin: 0.2em 0; }
section.step h3, section.step h4 { font-size: 1em; margin: 0.6em 0 0.2em; }
.grad-in-name, .name { color: #b02a37; }
.formula, .rule { font-family: ui-monospace, monospace; }
pre { background: #f1f3f5; padding: 0.4em 0.6em; margin: 0.2em 0; display: inline-block; }
.note, .shapes, .hint { color: #6c757d; font-size: 0.9em; margin: 0.2em 0; }
table.leaves th { text-align: left; padding-right: 1em; font-weight: normal; }
"""

# Plain script, no library: show one step, highlight its nodes in the SVG (found by
# the <title> Graphviz gives each node and edge), move with the buttons and arrow keys.
_SCRIPT = """
(function () {
  document.documentElement.classList.add("js");
  var steps = Array.prototype.slice.call(document.querySelectorAll("section.step"));
  var links = Array.prototype.slice.call(document.querySelectorAll("#step-list a"));
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var counter = document.getElementById("counter");
  var graph = document.getElementById("graph");
  var byTitle = {};
  document.querySelectorAll("#graph g.node, #graph g.edge").forEach(function (g) {
    var t = g.querySelector("title");
    if (t) byTitle[t.textContent.trim()] = g;
  });
  var current = 0;
  function mark(name, cls) { if (byTitle[name]) byTitle[name].classList.add(cls); }
  function show(i) {
    current = Math.max(0, Math.min(steps.length - 1, i));
    document.querySelectorAll("#graph .current, #graph .passes-to, #graph .receives").forEach(function (g) {
      g.classList.remove("current", "passes-to", "receives");
    });
    steps.forEach(function (s, j) { s.hidden = j !== current; });
    links.forEach(function (a, j) { a.classList.toggle("active", j === current); });
    var s = steps[current];
    mark(s.dataset.node, "current");
    mark(s.dataset.op, "current");
    // A graph wider than the page scrolls sideways: bring the current node to the middle.
    var node = byTitle[s.dataset.node];
    if (node && graph.scrollWidth > graph.clientWidth) {
      var box = node.getBoundingClientRect(), frame = graph.getBoundingClientRect();
      graph.scrollLeft += box.left + box.width / 2 - (frame.left + frame.width / 2);
    }
    s.dataset.inputs.split(" ").forEach(function (t) {
      if (!t) return;
      mark(t + "->" + s.dataset.op, "passes-to");
      mark(t, "receives");
    });
    counter.textContent = "step " + current + " (" + (current + 1) + " of " + steps.length + ")";
    prev.disabled = current === 0;
    next.disabled = current === steps.length - 1;
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  links.forEach(function (a, j) {
    a.addEventListener("click", function (event) { event.preventDefault(); show(j); });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    else if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  });
  show(0);
})();
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<h1>{title}</h1>
<p>{summary}. The backward pass runs from the cost back to the weights, {n_steps} steps, one per op node,
each only after every node that uses it (so the gradient arriving there is complete). At each step the
node is highlighted; the gradient <i>g</i> that arrived is shown, the op's backward rule, and what goes on
to each input (the highlighted edges). Where the series names a gradient, its name is given:
<code>delta_l</code> at <code>z_l</code>, <code>dJdW1</code>, <code>dJdW2</code> at the weights.</p>
<div id="graph">{svg}</div>
<nav><button id="prev" type="button">&larr; previous</button><span id="counter">{n_steps} steps</span>
<button id="next" type="button">next &rarr;</button><span class="hint">or the arrow keys &larr; &rarr;</span></nav>
<div id="layout">
<div id="steps">
{sections}
</div>
<ol id="step-list" start="0">{step_list}</ol>
</div>
<h2>What backward() adds to the weights' .grad</h2>
<table class="leaves">{leaf_rows}</table>
<h2>Against the hand-written chain rule of Part IV (they {verdict})</h2>
<ul>{checks}</ul>
<script>{script}</script>
</body>
</html>
"""
