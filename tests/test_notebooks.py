"""The tutorial as notebooks: each page ``docs/tutorial/NN-*.md`` is also ``NN-*.ipynb``.

The notebooks are made from the pages by ``python docs/make_notebooks.py``
(jupytext, then :func:`doctest.script_from_examples` for the examples), so the
pages stay the one source of truth. These tests check that every committed
notebook is what the script makes of its page, and run every notebook in a real
Jupyter kernel (nbclient and ipykernel, the ``notebook`` extra), failing on any
error other than the one a cell is tagged to show.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial"
PAGES = sorted(TUTORIAL.glob("[0-9][0-9]-*.md"))

NOTEBOOK_EXTRA = ("jupytext", "nbclient", "nbformat", "ipykernel")
MISSING = [name for name in NOTEBOOK_EXTRA if importlib.util.find_spec(name) is None]
needs_notebook_extra = pytest.mark.skipif(
    bool(MISSING), reason=f"needs the notebook extra (pip install -e '.[notebook]'); missing {MISSING}"
)


def _make_notebooks():
    """docs/make_notebooks.py, imported from its file (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "docs" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(notebook) -> list[tuple[str, str, list[str]]]:
    return [(cell.cell_type, cell.source, list(cell.metadata.get("tags", []))) for cell in notebook.cells]


def test_every_page_has_its_notebook():
    notebooks = sorted(p.with_suffix(".md") for p in TUTORIAL.glob("*.ipynb"))
    assert notebooks == PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_the_notebook_was_made_from_the_current_page(page: Path):
    """Needs no extra: the notebook records the SHA-256 of the page it was made from."""
    metadata = json.loads(page.with_suffix(".ipynb").read_text(encoding="utf-8"))["metadata"]["tinygrad_nnd"]
    assert metadata["made_from"] == page.name
    text = page.read_text(encoding="utf-8").replace("\r\n", "\n")
    assert metadata["page_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest(), (
        f"{page.name} changed since its notebook was made: pip install -e '.[notebook]' && python docs/make_notebooks.py"
    )


@needs_notebook_extra
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_the_notebook_is_made_from_its_page(page: Path):
    """The committed notebook equals what docs/make_notebooks.py makes of the page today."""
    import nbformat

    committed = nbformat.read(page.with_suffix(".ipynb"), as_version=4)
    fresh = _make_notebooks().notebook_from_page(page)
    assert _cells(committed) == _cells(fresh), f"run: python docs/make_notebooks.py ({page.name} changed)"
    assert committed.metadata == fresh.metadata
    assert not any(cell.get("outputs") for cell in committed.cells if cell.cell_type == "code")


@needs_notebook_extra
def test_the_examples_become_plain_python_with_the_expected_output_as_comments():
    import nbformat

    notebook = nbformat.read(TUTORIAL / "01-data-and-architecture.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert ">>>" not in code
    assert "X_raw.tolist()" in code and "## [[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]]" in code
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "## The sleep/study data" in markdown and "![" in markdown


@needs_notebook_extra
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_the_notebook_runs_in_a_jupyter_kernel(page: Path, monkeypatch: pytest.MonkeyPatch):
    """nbclient runs every cell in a fresh ipykernel; any error fails the test (CellExecutionError).

    Only a cell tagged ``raises-exception`` may raise, and then it must raise the
    error its page shows.
    """
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's own future default; avoids its warning
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(page.with_suffix(".ipynb"), as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(TUTORIAL)}}
    )
    client.execute()
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code_cells)
    shown = [out for cell in code_cells for out in cell.outputs if out.output_type in ("execute_result", "stream")]
    assert shown, "the notebook printed nothing"
    for cell in code_cells:
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            assert [e.ename for e in errors] == ["ValueError"], cell.source
        else:
            assert not errors, cell.source
