"""The backward-pass page in a real headless Chromium (Debian's ``chromium``), driven by Playwright.

Every step is visited with the buttons, then again backwards with the arrow
keys; at each one the highlighted node and the gradient shown are checked
against the engine's own backward pass. No browser is downloaded: Playwright
starts the system's Chromium. The tests skip, saying why, where Playwright
(``pip install -e '.[browser]'``) or Chromium is missing, and those of the
Graphviz drawing where ``dot`` is; in CI, ``tests/test_environment.py`` fails
if they would.

Set ``TINYGRAD_NND_SCREENSHOTS=folder`` to keep the screenshots.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_nnd import NeuralNetwork, backpropagate, topological_order
from tinygrad_nnd.cli import main
from tinygrad_nnd.datasets import iris, one_hot, sleep_study
from tinygrad_nnd.viz import graph_nodes, network_cost_graph, node_labels
from tinygrad_nnd.viz.page import backward_pass_html

CHROMIUM = "/usr/bin/chromium"
# No sandbox: CI runs as root. The rest keeps Chromium from reaching for the network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")
# The page prints 4 digits after the point (4 significant digits in scientific
# notation): half a unit in the last place is 5e-5 absolute, 5e-4 relative.
PRINTED = {"rtol": 5e-4, "atol": 5e-5}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[browser]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Chromium with a fresh profile folder, shared by the tests of this file."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def numbers(text: str) -> np.ndarray:
    return np.array([float(x) for x in NUMBER.findall(text)])


def engine_steps(N: NeuralNetwork, X: Any, y: Any) -> list[dict[str, Any]]:
    """What each step must show, from the engine itself: the node's DOT names, its label, dJ/d(node)."""
    J = network_cost_graph(N, X, y)
    nodes = graph_nodes(J)
    labels = node_labels(nodes)
    position = {id(t): k for k, t in enumerate(nodes)}
    op_nodes = [t for t in reversed(topological_order(J)) if t.op is not None]
    grads = backpropagate(J, np.ones(()), wanted=op_nodes)
    return [
        {
            "titles": {f"t{position[id(t)]}", f"op{position[id(t)]}"},
            "label": labels[id(t)],
            "grad": np.asarray(grads[t]),
        }
        for t in op_nodes
    ]


def open_page(context: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """The page opened from ``path``, with the list of every URL it requested and of its script errors."""
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    return page, requests, errors


def check_step(page: Any, i: int, expected: list[dict[str, Any]], deltas: dict[str, np.ndarray]) -> None:
    """The page shows step ``i``: its node highlighted, its gradient, the buttons' state."""
    step = expected[i]
    visible = page.locator("section.step:visible")
    assert visible.count() == 1
    assert visible.get_attribute("data-label") == step["label"]
    highlighted = page.eval_on_selector_all("#graph g.current > title", "els => els.map(e => e.textContent)")
    assert set(highlighted) == step["titles"], (i, highlighted)
    # On screen, even where the graph is wider than the page and scrolls sideways.
    assert page.evaluate(
        """() => {
          const frame = document.getElementById("graph").getBoundingClientRect();
          return [...document.querySelectorAll("#graph g.current")].every(g => {
            const box = g.getBoundingClientRect();
            return box.left >= frame.left - 1 && box.right <= frame.right + 1;
          });
        }"""
    ), f"step {i}: the highlighted node is scrolled out of view"
    shown = numbers(visible.locator(".grad-in").inner_text())
    np.testing.assert_allclose(shown, step["grad"].ravel(), **PRINTED)
    name = visible.locator(".grad-in-name").inner_text()
    if step["label"] in deltas:  # the series' delta, and its hand-written value
        assert name == f"dJ/d{step['label']} = {deltas[step['label']]['name']}"
        np.testing.assert_allclose(shown, deltas[step["label"]]["value"].ravel(), **PRINTED)
    else:
        assert name == f"dJ/d{step['label']}"
    assert page.locator("#counter").inner_text() == f"step {i} ({i + 1} of {len(expected)})"
    assert page.locator("#prev").is_disabled() == (i == 0)
    assert page.locator("#next").is_disabled() == (i == len(expected) - 1)


def hand_written(N: NeuralNetwork, X: Any, y: Any) -> tuple[dict[str, dict[str, Any]], dict[str, np.ndarray]]:
    """Part IV's delta_l by the z_l they belong to, and dJdWl by the weight's label."""
    by_hand = copy.copy(N)
    dJdW = by_hand.cost_function_prime(*N.check_data(X, y))
    deltas = {
        f"z_{l}": {"name": f"delta_{l}", "value": getattr(by_hand, f"delta_{l}")} for l in range(2, N.n_layers + 2)
    }
    return deltas, {f"W_{l}": g for l, g in enumerate(dJdW, start=1)}


CASES = {
    "sleep 2,3,1": (NeuralNetwork(seed=0), *sleep_study()),
    "sleep 2,4,4,1 with Lambda": (NeuralNetwork(layer_sizes=(2, 4, 4, 1), seed=1, Lambda=1e-3), *sleep_study()),
    "iris 4,5,3": (NeuralNetwork(layer_sizes=(4, 5, 3), seed=2), iris()[0] / 10, one_hot(iris()[1])),
}


@pytest.mark.parametrize("drawn_by", ["Graphviz", "own layout"])
@pytest.mark.parametrize("case", CASES)
def test_clicking_through_every_step_shows_the_engines_gradients(
    browser: Any, case: str, drawn_by: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Property: at each step, forwards with the buttons and back with the arrow keys, the highlighted
    node is the one the engine's backward pass is at, and the gradient shown is the engine's dJ/d(node)."""
    N, X, y = CASES[case]
    if drawn_by == "Graphviz" and shutil.which("dot") is None:
        pytest.skip("Graphviz (dot) is not installed")
    if drawn_by == "own layout":
        monkeypatch.setattr(shutil, "which", lambda name: None)  # as where Graphviz is not installed
    path = tmp_path / "backward.html"
    path.write_text(backward_pass_html(N, X, y), encoding="utf-8")
    monkeypatch.undo()
    assert ("Drawn without Graphviz" in path.read_text(encoding="utf-8")) == (drawn_by == "own layout")
    expected = engine_steps(N, X, y)
    deltas, dJdW = hand_written(N, X, y)
    page, requests, errors = open_page(browser, path)
    for i in range(len(expected)):
        if i:
            page.click("#next")
        check_step(page, i, expected, deltas)
        for output in page.locator("section.step:visible .output").all():
            label = output.get_attribute("data-input")
            if label in dJdW and "share" not in output.locator(".name").inner_text():
                assert output.locator(".name").inner_text() == f"dJ/d{label} = dJdW{label[2:]}"
                np.testing.assert_allclose(
                    numbers(output.locator(".grad-out").inner_text()), dJdW[label].ravel(), **PRINTED
                )
    page.keyboard.press("ArrowRight")  # at the last step (its button disabled): nothing happens
    check_step(page, len(expected) - 1, expected, deltas)
    for i in reversed(range(len(expected) - 1)):
        page.keyboard.press("ArrowLeft")
        check_step(page, i, expected, deltas)
    page.keyboard.press("ArrowRight")
    check_step(page, 1, expected, deltas)
    page.click(f"#step-list a[data-index='{len(expected) - 1}']")
    check_step(page, len(expected) - 1, expected, deltas)
    assert errors == []
    assert requests == [path.as_uri()]  # the page itself, nothing else
    page.close()


def test_the_page_from_the_command_line_in_the_browser_with_a_screenshot(browser: Any, tmp_path: Path) -> None:
    """``explain --html`` writes a page that works in Chromium; the screenshot at delta_3 is kept."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz (dot) is not installed")
    path = tmp_path / "explain.html"
    assert main(["explain", "--html", str(path)]) == 0
    N, X, y = CASES["sleep 2,3,1"]
    expected = engine_steps(N, X, y)
    deltas, _ = hand_written(N, X, y)
    page, requests, errors = open_page(browser, path)
    at_z_3 = [step["label"] for step in expected].index("z_3")
    for _ in range(at_z_3):
        page.keyboard.press("ArrowRight")
    check_step(page, at_z_3, expected, deltas)
    folder = Path(os.environ.get("TINYGRAD_NND_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "backward-pass-at-delta_3.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 20_000
    assert errors == [] and requests == [path.as_uri()]
    page.close()
