"""Make the tutorial's notebooks from its pages: ``python docs/make_notebooks.py`` (from the repository root).

One source of truth: each page ``docs/tutorial/NN-*.md`` is also the notebook
``docs/tutorial/NN-*.ipynb`` next to it, made in two steps by well-kept tools:

1. jupytext reads the page as a notebook: the prose becomes Markdown cells, and
   each fenced ``python`` block a code cell (with the cell metadata written after
   the language, such as ``tags=["raises-exception"]`` for the one example that
   shows an error);
2. the page's examples are doctests (``>>>`` prompts, then the expected output),
   so the standard library's :func:`doctest.script_from_examples` turns each code
   cell into plain Python: the prompts go, and the output the page shows stays as
   a comment (``# Expected:`` then ``## ...``) under the line that prints it.

A first code cell sets IPython to display the value of every expression in a
cell, as the doctest does, not only the last one. The notebooks are written
without outputs; run them in Jupyter (``pip install -e ".[notebook]"``). Edit the
page, never the notebook, and run this script again: ``tests/test_notebooks.py``
fails when a notebook is out of step with its page, and runs every notebook in a
real Jupyter kernel.
"""

from __future__ import annotations

import argparse
import doctest
import hashlib
import sys
from pathlib import Path
from typing import Any

TUTORIAL = Path(__file__).resolve().parent / "tutorial"

HEADER = (
    "*This notebook is made from the page [`{page}`]({page}) by `python docs/make_notebooks.py`:"
    " edit the page, not the notebook. Each code cell is one of the page's examples; the output"
    " the page shows is kept as a comment (`# Expected:`) under the line that prints it.*"
)
SETUP = (
    "# Show the value of every expression in a cell (as the page's doctests do), not only the last one.\n"
    "%config InteractiveShell.ast_node_interactivity = 'all'"
)


def pages(folder: Path = TUTORIAL) -> list[Path]:
    """The tutorial's pages, in order."""
    return sorted(folder.glob("[0-9][0-9]-*.md"))


def page_digest(page: Path) -> str:
    """SHA-256 of the page's text: stored in its notebook, so a page edited without remaking it shows."""
    text = page.read_text(encoding="utf-8").replace("\r\n", "\n")  # the same on a Windows checkout
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def notebook_from_page(page: Path) -> Any:
    """The notebook of one page (an ``nbformat`` notebook without outputs)."""
    import jupytext
    import nbformat

    text_notebook = jupytext.read(page)
    cells = [
        nbformat.v4.new_markdown_cell(HEADER.format(page=page.name)),
        nbformat.v4.new_code_cell(SETUP),
    ]
    for cell in text_notebook.cells:
        if cell.cell_type == "code":
            source = doctest.script_from_examples(cell.source).strip()
            new = nbformat.v4.new_code_cell(source)
            tags = cell.metadata.get("tags")
            if tags:
                new.metadata["tags"] = list(tags)
        else:
            new = nbformat.v4.new_markdown_cell(cell.source)
        cells.append(new)
    for number, cell in enumerate(cells):  # ids fixed by position, so a rerun changes nothing
        cell["id"] = f"cell-{number}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        # Checked by tests/test_notebooks.py even where jupytext is not installed.
        "tinygrad_nnd": {"made_from": page.name, "page_sha256": page_digest(page)},
    }
    return notebook


def make_notebooks(folder: Path = TUTORIAL, out: Path | None = None) -> list[Path]:
    """Write the notebook of every page of ``folder`` into ``out`` (the same folder by default)."""
    import nbformat

    out = folder if out is None else out
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for page in pages(folder):
        path = out / page.with_suffix(".ipynb").name
        nbformat.write(notebook_from_page(page), path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the notebooks (default: next to the pages)")
    args = parser.parse_args(argv)
    for path in make_notebooks(out=args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
