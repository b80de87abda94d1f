"""Tests for the backward-pass page (tinygrad_nnd.viz.page) and ``explain --html``, read as HTML text.

The page in a real browser is tested in test_browser_page.py.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nnd import NeuralNetwork
from tinygrad_nnd.cli import main
from tinygrad_nnd.datasets import iris, one_hot, sleep_study
from tinygrad_nnd.viz import explain_network
from tinygrad_nnd.viz.page import backward_pass_html, series_gradient_names

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz (dot), which draws the page's graph, is not installed"
)

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")


def numbers(text: str) -> list[float]:
    return [float(x) for x in NUMBER.findall(text)]


class Sections(HTMLParser):
    """Each ``<section class="step">``: its data attributes and the text of its parts by class."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[dict] = []
        self.links: list[str] = []  # every src and href
        self.tags: set[str] = set()
        self._class_stack: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action")]
        if tag == "section" and a.get("class") == "step":
            self.sections.append({"attrs": a, "grad-in": "", "grad-in-name": "", "outputs": [], "name": ""})
        cls = a.get("class")
        if self.sections and tag == "div" and cls == "output":
            self.sections[-1]["outputs"].append({"input": a["data-input"], "name": "", "formula": "", "grad-out": ""})
        if tag not in ("br", "meta", "input"):
            self._class_stack.append(cls)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "meta", "input") and self._class_stack:
            self._class_stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.sections or not self._class_stack:
            return
        cls = self._class_stack[-1]
        current = self.sections[-1]
        if cls in ("grad-in", "grad-in-name"):
            current[cls] += data
        elif cls in ("name", "formula", "grad-out") and current["outputs"]:
            current["outputs"][-1][cls] += data


def parse(page: str) -> Sections:
    parser = Sections()
    parser.feed(page)
    return parser


def explain_numbers(text: str) -> list[tuple[list[float], dict[str, list[float]]]]:
    """From explain's text, per step: the numbers of the gradient in, and of what goes to each input."""
    blocks = re.split(r"^step \d+: .*$", text.split("leaf gradients")[0], flags=re.M)[1:]
    found = []
    for block in blocks:
        # A value runs on over lines indented deeper than its head; notes in parentheses are no value.
        def value(match: re.Match[str]) -> list[float]:
            lines = [line for line in match.group(1).splitlines() if not line.strip().startswith("(")]
            return numbers("\n".join(lines))

        grad_in = re.search(r"gradient in  \S+ = (.*?)(?=\n    \S|\Z)", block, re.S)
        assert grad_in is not None
        outputs = {
            m.group(0).split()[1]: value(re.match(r"    to \S+ = (.*)", m.group(0), re.S))
            for m in re.finditer(r"^    to \S+ = .*?(?=\n    \S|\Z)", block, re.S | re.M)
        }
        found.append((value(grad_in), outputs))
    return found


CASES = {
    "sleep 2,3,1": (NeuralNetwork(seed=0), *sleep_study()),
    "sleep 2,4,4,1 with Lambda": (NeuralNetwork(layer_sizes=(2, 4, 4, 1), seed=1, Lambda=1e-3), *sleep_study()),
    "iris 4,5,3": (NeuralNetwork(layer_sizes=(4, 5, 3), seed=2), iris()[0] / 10, one_hot(iris()[1])),
}


@needs_dot
@pytest.mark.parametrize("case", CASES)
def test_every_step_shows_the_numbers_explain_prints(case: str) -> None:
    """Property: the page has explain's steps in explain's order, each with explain's gradient in and out, digit for digit."""
    N, X, y = CASES[case]
    explanation = explain_network(N, X, y)
    page = parse(backward_pass_html(N, X, y))
    assert [s["attrs"]["data-label"] for s in page.sections] == [step.label for step in explanation.trace.steps]
    expected = explain_numbers(explanation.format())
    assert len(expected) == len(page.sections)
    for section, (grad_in, outputs) in zip(page.sections, expected):
        assert grad_in and all(outputs.values())  # the parsing found the numbers
        assert numbers(section["grad-in"]) == grad_in
        assert {o["input"]: numbers(o["grad-out"]) for o in section["outputs"]} == outputs


@needs_dot
def test_the_series_names_label_the_gradients() -> None:
    N, X, y = CASES["sleep 2,3,1"]
    sections = {s["attrs"]["data-label"]: s for s in parse(backward_pass_html(N, X, y)).sections}
    assert sections["z_3"]["grad-in-name"] == "dJ/dz_3 = delta_3"
    assert sections["z_2"]["grad-in-name"] == "dJ/dz_2 = delta_2"
    to_W_2 = {o["input"]: o for o in sections["z_3"]["outputs"]}["W_2"]
    assert to_W_2["name"] == "dJ/dW_2 = dJdW2" and to_W_2["formula"] == " = a_2.T @ delta_3"
    to_W_1 = {o["input"]: o for o in sections["z_2"]["outputs"]}["W_1"]
    assert to_W_1["name"] == "dJ/dW_1 = dJdW1" and to_W_1["formula"] == " = X.T @ delta_2"
    # The named numbers are the hand-written ones of Part IV.
    dJdW1, dJdW2 = N.cost_function_prime(X, y)
    np.testing.assert_array_equal(numbers(to_W_2["grad-out"]), numbers(np.array2string(dJdW2, precision=4)))
    np.testing.assert_array_equal(numbers(to_W_1["grad-out"]), numbers(np.array2string(dJdW1, precision=4)))
    np.testing.assert_array_equal(numbers(sections["z_3"]["grad-in"]), numbers(np.array2string(N.delta_3, precision=4)))


@needs_dot
def test_a_deeper_network_with_lambda_names_every_delta_and_shares_of_a_weight_gradient() -> None:
    N, X, y = CASES["sleep 2,4,4,1 with Lambda"]
    explanation = explain_network(N, X, y)
    assert series_gradient_names(explanation) == {
        "z_4": "delta_4",
        "z_3": "delta_3",
        "z_2": "delta_2",
        "W_1": "dJdW1",
        "W_2": "dJdW2",
        "W_3": "dJdW3",
    }
    sections = {s["attrs"]["data-label"]: s for s in parse(backward_pass_html(N, X, y)).sections}
    assert [sections[z]["grad-in-name"] for z in ("z_4", "z_3", "z_2")] == [
        "dJ/dz_4 = delta_4",
        "dJ/dz_3 = delta_3",
        "dJ/dz_2 = delta_2",
    ]
    # With Lambda > 0, W_1 is used twice (the data term and the penalty): each use passes a share.
    to_W_1 = {o["input"]: o for o in sections["z_2"]["outputs"]}["W_1"]
    assert to_W_1["name"].startswith("a share of dJ/dW_1 (it has 2 uses")


@needs_dot
def test_the_page_loads_nothing() -> None:
    """Property: no script, style, image or font comes from elsewhere; the only links jump between steps."""
    page = backward_pass_html(*CASES["sleep 2,3,1"])
    parsed = parse(page)
    assert all(link.startswith("#step-") for link in parsed.links), parsed.links
    assert not parsed.tags & {"link", "img", "iframe", "object", "embed"}
    assert "url(" not in page and "@import" not in page and "fetch(" not in page
    # The SVG names its XML namespaces with URLs; nothing fetches them.
    assert set(re.findall(r"\w+://[^\"' ]+", page)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert page.count("<svg") == 1 and "<?xml" not in page and "<!DOCTYPE svg" not in page


def test_without_graphviz_the_page_draws_the_graph_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Property: with no ``dot``, the page is whole: the same steps, a graph with every node the steps name, a note."""
    N, X, y = CASES["sleep 2,4,4,1 with Lambda"]
    monkeypatch.setattr(shutil, "which", lambda name: None)
    text = backward_pass_html(N, X, y)
    page = parse(text)
    assert [s["attrs"]["data-label"] for s in page.sections] == [
        step.label for step in explain_network(N, X, y).trace.steps
    ]
    titles = set(re.findall(r"<title>([^<]*)</title>", text)) - {page_title(text)}
    for section in page.sections:
        a = section["attrs"]
        assert {a["data-node"], a["data-op"]} <= titles
        assert all(f"{t}-&gt;{a['data-op']}" in titles for t in a["data-inputs"].split())
    assert "Drawn without Graphviz" in text and "apt-get install graphviz" in text
    assert all(link.startswith("#step-") for link in page.links)


def page_title(text: str) -> str:
    match = re.search(r"<title>([^<]*)</title>", text)
    assert match is not None
    return match.group(1)


# ----------------------------------------------------------------------------- explain --html


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@needs_dot
def test_explain_html_writes_the_page_and_prints_the_same_walk_through(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "new" / "backward.html"
    code, text, err = run(capsys, "explain", "--html", str(out))
    assert code == 0, err
    _, plain, _ = run(capsys, "explain")
    assert text == plain + f"wrote {out}\n"
    N, X, y = CASES["sleep 2,3,1"]
    assert out.read_text(encoding="utf-8") == backward_pass_html(N, X, y)


@needs_dot
def test_explain_html_takes_the_data_and_layers_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "iris.html"
    code, _, err = run(capsys, "explain", "--data", "iris", "--layers", "4,5,3", "--precision", "3", "--html", str(out))
    assert code == 0, err
    sections = parse(out.read_text(encoding="utf-8")).sections
    assert [s["attrs"]["data-label"] for s in sections][-2:] == ["a_2", "z_2"]
    assert sections[-1]["grad-in-name"] == "dJ/dz_2 = delta_2"
    assert re.fullmatch(r"[\s\[\]\-\d.e]+", sections[-1]["grad-in"])  # a summary would have words
    assert all(len(x.split(".")[-1]) <= 3 for x in NUMBER.findall(sections[-1]["grad-in"]) if "e" not in x)


@needs_dot
def test_explain_html_replaces_a_file_only_with_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    out.write_text("mine")
    code, text, err = run(capsys, "explain", "--html", str(out))
    assert code == 2 and "already exists; use --force" in err and text == ""
    assert out.read_text() == "mine"
    code, text, err = run(capsys, "explain", "--html", str(out), "--force")  # not a page of ours: kept (issue 10)
    assert code == 2 and "--force will not replace it" in err and out.read_text() == "mine"
    out.write_text("<!DOCTYPE html>\n<p>an earlier page</p>\n")
    assert run(capsys, "explain", "--html", str(out), "--force")[0] == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and "earlier" not in out.read_text(
        encoding="utf-8"
    )


def test_explain_html_never_overwrites_the_data_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "sleep.csv"
    data.write_text("sleep,study,score\n3,5,75\n5,1,82\n10,2,93\n")
    for name in (str(data), str(tmp_path / "x" / ".." / "sleep.csv")):
        code, _, err = run(capsys, "explain", "--data", name, "--html", name, "--force")
        assert code == 2 and "would overwrite the --data file" in err
    assert data.read_text() == "sleep,study,score\n3,5,75\n5,1,82\n10,2,93\n"


def test_explain_html_without_graphviz_still_writes_the_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "page.html"
    code, text, err = run(capsys, "explain", "--html", str(out))
    assert code == 0, err
    assert text.endswith(f"wrote {out}\n")
    assert "Drawn without Graphviz" in out.read_text(encoding="utf-8")
