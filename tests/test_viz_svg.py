"""Tests for tinygrad_nnd.viz.svg: the graph drawn as SVG without Graphviz."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tinygrad_nnd import NeuralNetwork, Tensor
from tinygrad_nnd.datasets import sleep_study
from tinygrad_nnd.viz import graph_nodes, layered_svg, network_cost_graph

SVG = "{http://www.w3.org/2000/svg}"


def centers(svg: str) -> dict[str, tuple[float, float]]:
    """The middle of each node's box or ellipse, by its title."""
    found = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        assert title is not None and title.text
        if g.get("class") != "node":
            continue
        ellipse, polygon = g.find(f"{SVG}ellipse"), g.find(f"{SVG}polygon")
        if ellipse is not None:
            found[title.text] = (float(ellipse.get("cx")), float(ellipse.get("cy")))
        else:
            assert polygon is not None
            points = [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]
            found[title.text] = (sum(p[0] for p in points) / 4, sum(p[1] for p in points) / 4)
    return found


def edges(svg: str) -> list[tuple[str, str]]:
    titles = [g.find(f"{SVG}title").text for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "edge"]
    return [tuple(t.split("->")) for t in titles]


def test_every_tensor_op_and_edge_is_drawn_left_to_right() -> None:
    """Property: the SVG is well-formed XML with one box per tensor, one ellipse per op, and each
    edge running from left to right (inputs before the op, the op before its result), none overlapping."""
    J = network_cost_graph(NeuralNetwork(layer_sizes=(2, 4, 4, 1), seed=1, Lambda=1e-3), *sleep_study())
    nodes = graph_nodes(J)
    svg = layered_svg(J)
    where = centers(svg)
    expected = {f"t{k}" for k in range(len(nodes))} | {f"op{k}" for k, t in enumerate(nodes) if t.op is not None}
    assert set(where) == expected
    drawn = edges(svg)
    assert len(drawn) == sum(len(t.parents) + 1 for t in nodes if t.op is not None)
    for source, target in drawn:
        assert where[source][0] < where[target][0], (source, target)
    assert len(set(where.values())) == len(where)  # no two parts on one spot


def test_labels_are_escaped_and_a_lone_tensor_is_one_box() -> None:
    x = Tensor(1.0, requires_grad=True, name="<x & y>")
    svg = layered_svg(x)
    assert set(centers(svg)) == {"t0"} and edges(svg) == []
    assert "&lt;x &amp; y&gt;" in svg
    two = layered_svg(x - x.exp())
    assert re.search(r">1</text>", two) and re.search(r">2</text>", two)  # sub's inputs are numbered
