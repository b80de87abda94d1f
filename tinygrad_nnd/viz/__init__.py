"""Seeing the engine at work: graph views and the step-by-step backward pass.

- :mod:`tinygrad_nnd.viz.graph`: :func:`format_graph` (a table of every node),
  :func:`format_tree`, :func:`to_dot` and :func:`render` (Graphviz drawings).
- :mod:`tinygrad_nnd.viz.drawing`: :func:`draw_graph`, a drawing with every
  tensor's value and gradient that shows itself in Jupyter.
- :mod:`tinygrad_nnd.viz.trace`: :func:`trace_backward` records what each backward
  rule received and passed on.
- :mod:`tinygrad_nnd.viz.network`: the series' network in these views:
  :func:`network_cost_graph` (its cost graph with the series' names) and
  :func:`explain_network` (its backward pass traced and checked against the
  hand-written ``delta_3``, ``delta_2``).
- :mod:`tinygrad_nnd.viz.page`: :func:`backward_pass_html`, that walk-through as
  a self-contained web page to step through in a browser (its graph drawn by
  Graphviz, or by :func:`~tinygrad_nnd.viz.svg.layered_svg` without it).

Only :mod:`~tinygrad_nnd.viz.network` and :mod:`~tinygrad_nnd.viz.page` know the
series' network; the others know only the engine.
"""

from .drawing import GraphDrawing, draw_graph
from .graph import (
    dot_image,
    format_graph,
    format_tree,
    graph_nodes,
    node_labels,
    render,
    summarize_array,
    to_dot,
)
from .network import ChainRuleComparison, GradientComparison, NetworkExplanation, explain_network, network_cost_graph
from .page import backward_pass_html, series_gradient_names
from .svg import layered_svg
from .trace import (
    BackwardStep,
    BackwardTrace,
    rule_explanation,
    rule_terms,
    trace_backward,
)

__all__ = [
    "BackwardStep",
    "BackwardTrace",
    "backward_pass_html",
    "ChainRuleComparison",
    "GradientComparison",
    "GraphDrawing",
    "NetworkExplanation",
    "dot_image",
    "draw_graph",
    "explain_network",
    "format_graph",
    "format_tree",
    "graph_nodes",
    "layered_svg",
    "network_cost_graph",
    "node_labels",
    "render",
    "rule_explanation",
    "rule_terms",
    "series_gradient_names",
    "summarize_array",
    "to_dot",
    "trace_backward",
]
