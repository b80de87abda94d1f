"""The documentation under docs/ stays in step with the code.

The examples in the pages are doctests (pytest collects ``docs/*.md`` through
``--doctest-glob``); these tests check what doctests cannot: that the API
reference names every public name, that the CLI page documents every command,
and that the links between pages lead somewhere.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
API = DOCS / "api.md"

# Module -> the heading of its section in docs/api.md.
SECTIONS = {
    "tinygrad_nnd": "## `tinygrad_nnd`: the top level",
    "tinygrad_nnd.datasets": "## `tinygrad_nnd.datasets`",
    "tinygrad_nnd.testing": "## `tinygrad_nnd.testing`",
    "tinygrad_nnd.viz": "## `tinygrad_nnd.viz`",
    "tinygrad_nnd.io": "## `tinygrad_nnd.io`",
    "tinygrad_nnd.plots": "## `tinygrad_nnd.plots`",
    "tinygrad_nnd.csvdata": "## `tinygrad_nnd.csvdata`",
}


def _section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("module_name", sorted(SECTIONS))
def test_api_reference_names_every_public_name(module_name):
    """Each name in a module's ``__all__`` appears, in backquotes, in that module's section of api.md."""
    module = importlib.import_module(module_name)
    section = _section(API.read_text(encoding="utf-8"), SECTIONS[module_name])
    missing = [name for name in module.__all__ if not re.search(r"`(?:[\w.]+\.)?" + re.escape(name) + r"\b", section)]
    assert not missing, f"docs/api.md does not describe {module_name}.{missing}"


def _slug(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's rules) gives a heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # '#' lines in code are not headings
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, flags=re.M)}


def _links(page: Path):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for match in re.finditer(r"\]\(([^)\s]+)\)", text):
        yield match.group(1)


PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_links_between_pages_resolve(page):
    """Every relative link leads to an existing page, and every #anchor to a heading in it."""
    broken = []
    for target in _links(page):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if not destination.is_file() or (anchor and anchor not in _anchors(destination)):
            broken.append(target)
    assert not broken, f"{page.relative_to(DOCS)}: broken links {broken}"


def test_cli_page_documents_every_command():
    """docs/cli.md has a section for each subcommand of the ``tinygrad-nnd`` parser."""
    import argparse

    from tinygrad_nnd.cli import build_parser

    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in subparsers.choices if f"## `{name}`" not in text]
    assert not missing, f"docs/cli.md has no section for {missing}"


def test_tutorial_has_the_seven_parts():
    names = sorted(p.name for p in (DOCS / "tutorial").glob("*.md"))
    assert [n[:3] for n in names] == [f"{k:02d}-" for k in range(1, 8)], names


def test_internals_quotes_the_benchmark_report_as_committed():
    """The speed and memory ratios docs/internals.md quotes are those of benchmarks/results.md.

    When the report is refreshed, update the paragraph of internals section 8 that quotes it.
    """
    report = (DOCS.parent / "benchmarks" / "results.md").read_text(encoding="utf-8")
    internals = re.sub(r"\s+", " ", (DOCS / "internals.md").read_text(encoding="utf-8"))

    def ratio(row: str) -> float:
        match = re.search(r"^\| " + re.escape(row) + r" \| ([\d.]+)x \|", report, flags=re.M)
        assert match, f"benchmarks/results.md has no row {row!r}"
        return float(match[1])

    quoted = {
        "tiny, jit": f"about {ratio('tiny: `jit(cost)` vs NumPy `s*(1-s)`'):.1f} times",
        "medium, jit": f"about {ratio('medium: `jit(cost)` vs NumPy `s*(1-s)`'):.1f} times",
        "BFGS seed problem": f"about {ratio('BFGS seed problem: autodiff vs chain rule, wall time'):.1f} times",
        "peak memory, network": f"about {ratio('large: peak memory, `N.cost_and_gradients` vs NumPy `s*(1-s)`'):.2f} times",
    }
    stale = {row: text for row, text in quoted.items() if text not in internals}
    assert not stale, f"docs/internals.md should say, from benchmarks/results.md: {stale}"
