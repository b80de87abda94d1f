"""Plain-text helpers shared by the error messages, the graph views and the command line.

>>> plural(1, "row"), plural(3, "row")
('1 row', '3 rows')
>>> print(format_table([["check", "value"], ["norm ratio", "1.2e-10"]]))
check       value
norm ratio  1.2e-10
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_table", "plural"]


def plural(n: int, noun: str) -> str:
    """``n`` and ``noun``, with an ``s`` unless ``n`` is one: ``"1 row"``, ``"3 rows"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_table(rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """Rows of cells as left-aligned columns two spaces apart (the first row is the header).

    Trailing blanks are removed; ``indent`` starts every line.
    """
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return "\n".join(indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
