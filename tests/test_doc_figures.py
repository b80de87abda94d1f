"""The tutorial's figures: every image a page shows is committed, and one command redraws them all.

``python docs/make_figures.py`` draws the figures from the package's own plotting
and graph-drawing functions; these tests run it into a temporary folder.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial"
FIGURES = TUTORIAL / "figures"
PAGES = sorted(DOCS.rglob("*.md"))


def _images(page: Path) -> list[str]:
    """The targets of the page's Markdown images, ``![alt](target)``, outside code blocks."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)


def _linked_figures() -> set[Path]:
    return {(page.parent / target).resolve() for page in PAGES for target in _images(page)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_image_a_page_shows_is_committed(page: Path) -> None:
    missing = [target for target in _images(page) if not (page.parent / target).is_file()]
    assert not missing, f"{page.relative_to(DOCS)} links to missing images {missing}"


@pytest.mark.parametrize("page", sorted(TUTORIAL.glob("*.md")), ids=lambda p: p.name)
def test_every_tutorial_part_shows_a_figure(page: Path) -> None:
    assert _images(page), f"{page.name} shows no figure"


def test_every_committed_figure_is_shown_and_small() -> None:
    """No stale image is left in docs/tutorial/figures, and none bloats the repository."""
    committed = {path.resolve() for path in FIGURES.iterdir()}
    assert committed == _linked_figures() & committed, f"not shown on any page: {committed - _linked_figures()}"
    too_big = {path.name: path.stat().st_size for path in FIGURES.iterdir() if path.stat().st_size > 150_000}
    assert not too_big, f"figures over 150 kB (draw them at a lower dpi): {too_big}"


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs the plot extra (matplotlib)")
@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program")
def test_the_figure_command_draws_every_figure_the_pages_show(tmp_path: Path) -> None:
    """``python docs/make_figures.py --out DIR`` writes a PNG or SVG for each image the pages link to."""
    run = subprocess.run(
        [sys.executable, str(DOCS / "make_figures.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    written = {path.name for path in tmp_path.iterdir()}
    shown = {path.name for path in _linked_figures() if path.parent == FIGURES}
    assert written == shown
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n"), path.name
        else:
            assert b"<svg" in data and b"W_1" in data, path.name
        assert len(data) > 1000, path.name
