"""Tests for tinygrad_nnd.viz.graph: the table, tree and DOT views of a graph, and render()."""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nnd import NeuralNetwork, Tensor
from tinygrad_nnd.datasets import sleep_study
from tinygrad_nnd.viz import format_graph, format_tree, graph_nodes, network_cost_graph, node_labels, render, to_dot
from tinygrad_nnd.viz.graph import node_depths

SERIES_NAMES_AND_SHAPES = {
    "X": (3, 2),
    "W_1": (2, 3),
    "z_2": (3, 3),
    "a_2": (3, 3),
    "W_2": (3, 1),
    "z_3": (3, 1),
    "y_hat": (3, 1),
    "y": (3, 1),
    "J": (),
}


def seed_cost_graph() -> Tensor:
    return network_cost_graph(NeuralNetwork(seed=0), *sleep_study())


def chain(n: int) -> Tensor:
    """x + 1 + 1 + ... : n add ops, each with its own constant."""
    x = Tensor(0.0, requires_grad=True, name="x")
    y = x
    for _ in range(n):
        y = y + 1.0
    return y


# ----------------------------------------------------------------------------- graph_nodes and labels


def test_graph_nodes_is_a_topological_order_with_constants() -> None:
    """Property: every node comes after all of its inputs, once each, root last, constants included."""
    J = seed_cost_graph()
    nodes = graph_nodes(J)
    position = {id(t): k for k, t in enumerate(nodes)}
    assert len(position) == len(nodes)
    assert nodes[-1] is J
    for k, node in enumerate(nodes):
        assert all(position[id(p)] < k for p in node.parents)
    constants = [t for t in nodes if t.op is None and not t.requires_grad]
    assert len(constants) == 3  # X, y and the 0.5 of the cost


def test_graph_nodes_follow_the_forward_pass_of_the_series() -> None:
    """Property: on the seed network the named nodes come in the order the forward pass makes them."""
    names = [t.name for t in graph_nodes(seed_cost_graph()) if t.name]
    assert names == ["X", "W_1", "z_2", "a_2", "W_2", "z_3", "y_hat", "y", "J"]


def test_node_depths_count_the_ops_on_the_longest_path_of_the_series_graph() -> None:
    """Leaves at 0; each layer one op deeper than its deepest input, however long the other inputs' paths."""
    J = seed_cost_graph()
    depth = node_depths(J)
    named = {t.name: depth[id(t)] for t in graph_nodes(J) if t.name and t.name != "J"}
    assert named == {"X": 0, "W_1": 0, "z_2": 1, "a_2": 2, "W_2": 0, "z_3": 3, "y_hat": 4, "y": 0}
    assert all(depth[id(t)] == max(depth[id(p)] for p in t.parents) + 1 for t in graph_nodes(J) if t.op)


def test_graph_nodes_of_a_leaf_is_the_leaf() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert graph_nodes(x) == [x]
    assert format_graph(x).splitlines()[1].split() == ["%0", "leaf", "-", "(2,)", "yes"]


def test_shared_input_appears_once() -> None:
    x = Tensor(3.0, requires_grad=True, name="x")
    y = x * x + x
    nodes = graph_nodes(y)
    assert sum(t is x for t in nodes) == 1
    assert len(nodes) == 3


def test_node_labels_are_unique_even_with_repeated_names() -> None:
    """Property: labels of nodes that need a gradient are distinct, so a trace can look them up."""
    a = Tensor(1.0, requires_grad=True, name="w")
    b = Tensor(2.0, requires_grad=True, name="w")
    out = a * b
    nodes = graph_nodes(out)
    labels = node_labels(nodes)
    assert labels[id(a)] == "w (%0)" and labels[id(b)] == "w (%1)"
    assert len(set(labels.values())) == len(nodes)


def test_number_constants_are_labelled_by_value() -> None:
    x = Tensor(2.0, requires_grad=True, name="x")
    nodes = graph_nodes(0.5 * x + 1e-4)
    labels = [node_labels(nodes)[id(t)] for t in nodes]
    assert labels == ["0.5", "x", "%2", "0.0001", "%4"]


# ----------------------------------------------------------------------------- format_graph


def test_format_graph_lists_every_node_with_series_names_and_shapes() -> None:
    """Property: the table has one row per node of the seed cost graph, with its name, op, shape."""
    J = seed_cost_graph()
    text = format_graph(J)
    lines = text.splitlines()
    assert lines[0].split() == ["id", "label", "op", "inputs", "shape", "requires_grad"]
    assert len(lines) == 1 + len(graph_nodes(J)) == 14
    rows = {line.split()[1]: line for line in lines[1:] if line.split()[1] not in {"sub", "square", "sum"}}
    for name, shape in SERIES_NAMES_AND_SHAPES.items():
        assert name in rows, f"{name} missing from\n{text}"
        assert str(shape) in rows[name]
    assert re.search(r"^%2\s+z_2\s+dot\s+%0, %1\s+\(3, 3\)\s+yes$", text, re.M)
    assert re.search(r"^%0\s+X\s+const\s+-\s+\(3, 2\)\s+no$", text, re.M)
    assert re.search(r"^%1\s+W_1\s+leaf\s+-\s+\(2, 3\)\s+yes$", text, re.M)
    assert re.search(r"^%11\s+0.5\s+const", text, re.M)
    assert "0x" not in text  # no memory addresses


def test_format_graph_of_the_unnamed_cost_tensor_has_the_layer_names() -> None:
    """Property: NeuralNetwork.cost_tensor's own graph shows z_2, a_2, z_3, y_hat and W_1, W_2."""
    N = NeuralNetwork((4, 5, 5, 3), seed=1)
    X = np.random.default_rng(0).random((6, 4))
    y = np.random.default_rng(1).random((6, 3))
    weights = [Tensor(W, requires_grad=True, name=f"W_{l}") for l, W in enumerate(N.weights, start=1)]
    text = format_graph(N.cost_tensor(X, y, weights))
    labels = [line.split()[1] for line in text.splitlines()[1:]]
    for name in ["W_1", "W_2", "W_3", "z_2", "a_2", "z_3", "a_3", "z_4", "y_hat"]:
        assert name in labels


def test_format_graph_is_deterministic() -> None:
    """Property: two graphs built the same way print the same text."""
    assert format_graph(seed_cost_graph()) == format_graph(seed_cost_graph())


# ----------------------------------------------------------------------------- format_tree


def test_format_tree_of_the_seed_graph() -> None:
    text = format_tree(seed_cost_graph())
    lines = text.splitlines()
    assert lines[0] == "J = mul  ()"
    assert any(line.endswith("y_hat = sigmoid  (3, 1)") for line in lines)
    assert any(line.endswith("W_1  leaf (2, 3)") for line in lines)
    assert len(lines) == len(graph_nodes(seed_cost_graph()))  # a tree: nothing shared here


def test_format_tree_marks_shared_nodes() -> None:
    x = Tensor(2.0, requires_grad=True, name="x")
    h = (x * 3.0).tanh()
    h.name = "h"
    text = format_tree(h + h)
    assert text.count("h = tanh") == 1
    assert "h (see above)" in text


def test_format_tree_stops_at_max_depth() -> None:
    text = format_tree(chain(100), max_depth=5)
    assert "not shown: deeper than max_depth=5" in text
    assert len(text.splitlines()) < 20


# ----------------------------------------------------------------------------- to_dot


def _dot_structure(dot: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The declared node ids and the edges of DOT text, checking each edge's ends were declared first."""
    declared: list[str] = []
    edges: list[tuple[str, str]] = []
    for line in dot.splitlines()[1:-1]:
        edge = re.fullmatch(r"\s*(\w+) -> (\w+)( \[label=\"\d+\"\])?;", line)
        if edge:
            tail, head = edge.group(1), edge.group(2)
            assert tail in declared and head in declared, f"edge {line!r} uses an undeclared node"
            edges.append((tail, head))
            continue
        node = re.fullmatch(
            r'\s*(\w+) \[shape=(box|ellipse)(, style=filled, fillcolor="#\w+")?, label=("(?:[^"\\]|\\.)*")\];', line
        )
        if node:
            assert node.group(1) not in declared, f"{node.group(1)} declared twice"
            declared.append(node.group(1))
            continue
        assert re.fullmatch(r'\s*(rankdir=LR|node \[fontname="Helvetica"\]|label=".*"|labelloc=t);', line), line
    return declared, edges


def _balanced_outside_strings(dot: str) -> bool:
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', dot)
    depth = 0
    for char in unquoted:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and unquoted.count("[") == unquoted.count("]")


def test_to_dot_is_plausible_dot() -> None:
    """Property: braces balance, every edge endpoint is declared, one box per tensor, one ellipse per op."""
    J = seed_cost_graph()
    dot = to_dot(J, title="the series' cost")
    assert dot.startswith("digraph tinygrad_nnd {") and dot.endswith("}")
    assert _balanced_outside_strings(dot)
    declared, edges = _dot_structure(dot)
    nodes = graph_nodes(J)
    ops = [t for t in nodes if t.op is not None]
    assert sum(d.startswith("t") for d in declared) == len(nodes)
    assert sum(d.startswith("op") for d in declared) == len(ops)
    assert len(edges) == sum(len(t.parents) for t in ops) + len(ops)
    assert 'label="z_2\\n(3, 3)"' in dot
    assert 'label="the series\' cost"' in dot


def test_to_dot_is_deterministic() -> None:
    """Property: the same graph, or the same graph rebuilt, gives the same DOT text."""
    J = seed_cost_graph()
    assert to_dot(J) == to_dot(J) == to_dot(seed_cost_graph())


def test_to_dot_escapes_quotes_and_backslashes() -> None:
    """Property: names with quotes, backslashes and newlines stay inside their DOT string."""
    x = Tensor(1.0, requires_grad=True, name='say "hi"\\ \nnow')
    dot = to_dot(x.exp(), title='a "title"')
    assert _balanced_outside_strings(dot)
    _dot_structure(dot)
    assert r'label="say \"hi\"\\ \nnow\n()"' in dot
    assert r'label="a \"title\""' in dot


def test_to_dot_numbers_the_inputs_of_non_commutative_ops() -> None:
    a = Tensor(1.0, requires_grad=True, name="a")
    b = Tensor(2.0, requires_grad=True, name="b")
    dot = to_dot(a - b)
    assert 't0 -> op2 [label="1"];' in dot and 't1 -> op2 [label="2"];' in dot


# ----------------------------------------------------------------------------- deep graphs


def test_views_of_a_chain_far_deeper_than_the_recursion_limit_do_not_recurse(shallow_recursion: int) -> None:
    """Property: walking, printing and drawing a chain 20 times deeper than the recursion limit allows raises no RecursionError."""
    n = 20 * shallow_recursion
    y = chain(n)
    nodes = graph_nodes(y)
    assert len(nodes) == 2 * n + 1
    table = format_graph(y)
    assert table.count("\n") == 2 * n + 1
    dot = to_dot(y)
    assert dot.count(" -> ") == 3 * n
    tree = format_tree(y)
    assert "max_depth" in tree


# ----------------------------------------------------------------------------- render


def test_render_without_graphviz_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Property: with no ``dot`` on PATH, render raises a RuntimeError naming the ways to install it."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError) as info:
        render(to_dot(seed_cost_graph()), tmp_path / "graph.svg")
    message = str(info.value)
    assert "apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert "conda" in message
    assert "graph.svg" in message
    assert not (tmp_path / "graph.svg").exists()


def _fake_dot(folder: Path, fail: bool = False) -> str:
    """A stand-in for Graphviz's dot: writes its arguments and its input to the -o file."""
    script = folder / "fake_dot"
    body = (
        "import sys\n"
        "args = sys.argv[1:]\n"
        "text = sys.stdin.read()\n"
        + ("sys.stderr.write('syntax error in line 1'); sys.exit(1)\n" if fail else "")
        + "out = args[args.index('-o') + 1]\n"
        "open(out, 'w').write(' '.join(args[:1]) + '\\n' + text)\n"
    )
    script.write_text(f"#!{sys.executable}\n{body}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.mark.skipif(os.name == "nt", reason="the stand-in dot is a shebang script")
def test_render_runs_dot_with_the_format(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Property: with ``dot`` found, render feeds it the DOT text, the format and the output path."""
    fake = _fake_dot(tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: fake if name == "dot" else None)
    dot = to_dot(seed_cost_graph())
    out = render(dot, str(tmp_path / "graph.png"))
    assert out == tmp_path / "graph.png"
    assert out.read_text() == "-Tpng\n" + dot
    assert render(dot, tmp_path / "graph", format="pdf").read_text().startswith("-Tpdf\n")
    assert render(dot, tmp_path / "plain").read_text().startswith("-Tsvg\n")


@pytest.mark.skipif(os.name == "nt", reason="the stand-in dot is a shebang script")
def test_render_reports_a_failing_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = _fake_dot(tmp_path, fail=True)
    monkeypatch.setattr(shutil, "which", lambda name: fake)
    with pytest.raises(RuntimeError, match="syntax error in line 1"):
        render("digraph {", tmp_path / "graph.svg")


def test_render_refuses_a_strange_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a Graphviz output format"):
        render("digraph {}", tmp_path / "graph.svg", format="svg -o /etc/passwd")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) is not installed")
def test_render_with_real_graphviz(tmp_path: Path) -> None:
    out = render(to_dot(seed_cost_graph(), title="J"), tmp_path / "graph.svg")
    assert "<svg" in out.read_text()
