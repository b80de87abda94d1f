"""Tests for tinygrad_nnd.viz.drawing: draw_graph, the graph with values and gradients."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_nnd import NeuralNetwork, Tensor
from tinygrad_nnd.datasets import sleep_study
from tinygrad_nnd.viz import GraphDrawing, draw_graph, graph_nodes, network_cost_graph, node_labels, summarize_array

HAVE_DOT = shutil.which("dot") is not None
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")


def boxes(drawing: GraphDrawing) -> dict[str, str]:
    """The text in each tensor's box, by its label, as Graphviz shows it (tags dropped, one line per row)."""
    found = {}
    for match in re.finditer(r"^  t\d+ \[.*label=<(.*)>\];$", drawing.dot, re.M):
        text = re.sub(r"<BR/>|</TR>", "\n", match.group(1))
        text = html.unescape(re.sub(r"<[^>]+>", "", text)).replace("\xa0", " ")
        lines = [line for line in text.splitlines() if line.strip()]
        found[lines[0].split("  ")[0]] = "\n".join(lines)
    return found


def shown(box: str, what: str) -> np.ndarray:
    """The numbers of the ``data`` or ``grad`` part of a box."""
    part = box.split(f"\n{what} ", 1)[1].split("\ngrad ", 1)[0] if what == "data" else box.split("\ngrad ", 1)[1]
    return np.array([float(x) for x in NUMBER.findall(part)])


# Values are printed with 4 digits after the point (or 4 significant digits in
# scientific notation): half a unit in the last place is 5e-5 absolute, 5e-4 relative.
PRINTED = {"rtol": 5e-4, "atol": 5e-5}


def test_the_series_cost_graph_shows_values_and_the_hand_written_gradients() -> None:
    """Property: after backward(), each box shows its tensor's value and dJ/d(tensor); z_3 shows delta_3, W_1 its .grad."""
    N = NeuralNetwork(seed=0)
    X, y = sleep_study()
    J = network_cost_graph(N, X, y)
    J.backward()
    drawing = draw_graph(J)
    by_label = boxes(drawing)
    dJdW1, dJdW2 = N.cost_function_prime(X, y)  # sets N.delta_2, N.delta_3
    named = {t.name: t for t in graph_nodes(J) if t.name}
    assert set(named) <= set(by_label)
    for name, t in named.items():
        np.testing.assert_allclose(shown(by_label[name], "data"), t.data.ravel(), **PRINTED)
    expected_grads = {"z_3": N.delta_3, "z_2": N.delta_2, "W_2": dJdW2, "W_1": dJdW1, "J": np.ones(1)}
    for name, g in expected_grads.items():
        np.testing.assert_allclose(shown(by_label[name], "grad"), g.ravel(), **PRINTED)
    for name in ("W_1", "W_2"):
        np.testing.assert_allclose(shown(by_label[name], "grad"), named[name].grad.ravel(), **PRINTED)
    assert "grad" not in by_label["X"] and "grad" not in by_label["y"]  # constants get none
    assert drawing.has_gradients and drawing.n_ops == 8 and drawing.n_tensors == 13


def test_gradients_appear_once_backward_has_run_and_nothing_is_changed() -> None:
    w = Tensor([1.0, -2.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    before = draw_graph(loss)
    assert not before.has_gradients and "grad&#160;" not in before.dot
    assert w.grad is None  # drawing computes no .grad
    assert draw_graph(loss, grads=True).has_gradients
    assert w.grad is None
    loss.backward()
    after = draw_graph(loss)
    np.testing.assert_array_equal(shown(boxes(after)["w"], "grad"), [2.0, -4.0])
    np.testing.assert_array_equal(w.grad, [2.0, -4.0])  # unchanged by the drawing
    assert not draw_graph(loss, grads=False).has_gradients


def test_a_given_seed_scales_the_gradients() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = 3.0 * x
    y.name = "y"
    drawing = draw_graph(y, grads=True, gradient=[1.0, 10.0])
    np.testing.assert_array_equal(shown(boxes(drawing)["x"], "grad"), [3.0, 30.0])
    with pytest.raises(ValueError, match=r"gradient of shape \(3,\) given for a tensor of shape \(2,\)"):
        draw_graph(y, grads=True, gradient=[1.0, 2.0, 3.0])


def test_a_graph_without_gradients_wanted_draws_none() -> None:
    c = Tensor([1.0, 2.0]) * 2.0
    assert not draw_graph(c, grads=True).has_gradients


def test_large_arrays_are_summarized_small_ones_shown_in_full() -> None:
    big = Tensor(np.arange(300.0).reshape(100, 3), requires_grad=True, name="big")
    drawing = draw_graph(big.sum(), grads=True)
    box = boxes(drawing)["big"]
    assert "data 300 values: min 0, mean 149.5, max 299" in box
    assert "grad 300 values: min 1, mean 1, max 1" in box
    assert summarize_array(np.eye(4), max_elements=16).count("\n") == 3  # 16 elements: all four rows
    assert summarize_array(np.eye(4), max_elements=15).startswith("16 values")


@given(st.lists(st.floats(-3, 3), min_size=1, max_size=6))
def test_leaf_gradients_shown_equal_backward(values: list[float]) -> None:
    """Property: for sum(tanh(x) * x), the gradient drawn in x's box is the x.grad that backward() leaves."""
    x = Tensor(values, requires_grad=True, name="x")
    out = (x.tanh() * x).sum()
    out.backward()
    np.testing.assert_allclose(shown(boxes(draw_graph(out))["x"], "grad"), x.grad, **PRINTED)


def test_names_are_escaped_for_graphviz() -> None:
    x = Tensor(1.0, requires_grad=True, name='<b>"&x"</b>')
    drawing = draw_graph(x.exp())
    assert "&lt;b&gt;&quot;&amp;x&quot;&lt;/b&gt;" in drawing.dot
    if HAVE_DOT:
        assert "<svg" in drawing.svg()


def test_a_plain_tensor_keeps_its_text_repr() -> None:
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert not hasattr(t, "_repr_svg_") and not hasattr(t, "_repr_html_")
    assert repr(t) == "Tensor([1., 2.], requires_grad=True)"


def test_without_graphviz_the_drawing_shows_its_dot_text(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    drawing = draw_graph(network_cost_graph(NeuralNetwork(seed=0), *sleep_study()))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert drawing._repr_svg_() is None  # Jupyter then uses the HTML
    page = drawing._repr_html_()
    assert "apt-get install graphviz" in page and html.escape(drawing.dot) in page
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        drawing.save(tmp_path / "graph.svg")
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        drawing.png()
    assert drawing.save(tmp_path / "graph.dot").read_text() == drawing.dot + "\n"
    assert drawing.save(tmp_path / "graph.txt", format="dot").read_text().startswith("digraph")


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz (dot) is not installed")
def test_with_graphviz_the_drawing_is_an_svg_and_a_png(tmp_path: Path) -> None:
    J = network_cost_graph(NeuralNetwork(seed=0), *sleep_study())
    J.backward()
    drawing = draw_graph(J, title="the series' cost")
    svg = drawing._repr_svg_()
    assert svg is not None and svg.lstrip().startswith("<?xml") and "</svg>" in svg
    assert "<svg" in drawing._repr_html_()
    # Every tensor is a node of the SVG, titled with its DOT name.
    nodes = graph_nodes(J)
    assert all(f"<title>t{k}</title>" in svg for k in range(len(nodes)))
    assert "z_2" in svg and "delta" not in svg
    assert drawing.png().startswith(b"\x89PNG\r\n\x1a\n")
    assert drawing.save(tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert "<svg" in drawing.save(tmp_path / "g.svg").read_text()
    labels = node_labels(nodes)
    assert labels[id(J)] == drawing.root_label == "J"


def test_ipython_displays_the_drawing_as_an_image_and_a_tensor_as_text() -> None:
    """What Jupyter does with the last value of a cell: IPython's display formatter picks the representations."""
    formatters = pytest.importorskip("IPython.core.formatters", reason="IPython (Jupyter's kernel) is not installed")
    display = formatters.DisplayFormatter()
    J = network_cost_graph(NeuralNetwork(seed=0), *sleep_study())
    J.backward()
    data, _ = display.format(draw_graph(J))
    if HAVE_DOT:
        assert "</svg>" in data["image/svg+xml"] and "</svg>" in data["text/html"]
    else:
        assert "image/svg+xml" not in data and "digraph tinygrad_nnd" in data["text/html"]
    assert data["text/plain"] == "GraphDrawing(J: 13 tensors, 8 ops, with gradients)"
    data, _ = display.format(J)
    assert set(data) == {"text/plain"} and data["text/plain"].startswith("Tensor(")
