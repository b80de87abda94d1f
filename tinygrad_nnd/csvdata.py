"""Numeric tables from CSV files, with errors that say which file, line and column.

The format is the plainest CSV there is:

- the first row that is not blank and not a comment is the **header**: one name
  per column, unique and not empty;
- every later row is one example: exactly as many fields as the header has
  columns, each a finite decimal number written with the digits 0-9 (``3``,
  ``-0.25``, ``1e-3``; spaces around a number are ignored; not ``1_000``, nor
  digits of other scripts, which Python's ``float`` would take);
- blank lines and lines whose first field starts with ``#`` are skipped, so a
  file may carry comments (the packaged ``iris.csv`` does).

``read_csv(path, columns=[...])`` reads only the named columns: the other
columns' fields are not parsed (they may hold text, or nothing), though every
row must still have one field per header column.

Anything else is a :class:`CSVDataError` (a ``ValueError``) whose message starts
with ``FILE:LINE:`` where a line is to blame, names the column, and quotes the
text it could not read. Parsing uses the standard :mod:`csv` module, so quoted
fields (``"1.5"``) work, and a quote that is never closed is an error (not a
field that swallows the rest of the file); nothing is ever evaluated or unpickled.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = folder / "scores.csv"
>>> _ = path.write_text("sleep,study,score\\n3,5,75\\n5,1,82\\n")
>>> table = read_csv(path)
>>> table.columns, table.values.tolist(), table.lines
(('sleep', 'study', 'score'), [[3.0, 5.0, 75.0], [5.0, 1.0, 82.0]], (2, 3))
>>> table.select(["score"]).tolist()
[[75.0], [82.0]]
>>> _ = path.write_text("sleep,study,score\\n3,5,75\\n5,one,82\\n")
>>> read_csv(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
tinygrad_nnd.csvdata.CSVDataError: .../scores.csv:3: column 'study': cannot read 'one' as a number
>>> read_csv(path, columns=["score", "sleep"]).values.tolist()
[[75.0, 3.0], [82.0, 5.0]]
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .text import plural

__all__ = ["CSVDataError", "CSVTable", "MissingColumnError", "read_csv", "separator_hint"]


class CSVDataError(ValueError):
    """A CSV file that cannot be read as a numeric table.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    line : int or None
        The 1-based line of the file at fault, when one is.
    problem : str
        What is wrong, without the location.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else f"{self.path}"
        super().__init__(f"{where}: {problem}")


class MissingColumnError(CSVDataError):
    """A CSV file without a column that was asked for (the message names it and lists the columns)."""


@dataclass(frozen=True)
class CSVTable:
    """A CSV file's header and its numbers.

    Attributes
    ----------
    path : pathlib.Path
        Where the table was read from.
    columns : tuple of str
        The header's column names, in file order.
    values : ndarray, shape (rows, columns), float64
        The numbers, one row per example, all finite.
    lines : tuple of int
        The file line on which each row starts (for error messages).
    """

    path: Path
    columns: tuple[str, ...]
    values: np.ndarray
    lines: tuple[int, ...]

    @property
    def n_rows(self) -> int:
        """The number of examples."""
        return int(self.values.shape[0])

    def column_index(self, name: str) -> int:
        """The position of column ``name``; a CSVDataError listing the columns if there is none."""
        try:
            return self.columns.index(name)
        except ValueError:
            raise MissingColumnError(
                self.path, f"no column named {name!r} (the columns are {', '.join(map(repr, self.columns))})"
            ) from None

    def select(self, names: Sequence[str]) -> np.ndarray:
        """The columns ``names``, in that order, as a fresh ``(rows, len(names))`` array."""
        indices = [self.column_index(name) for name in names]
        return self.values[:, indices].copy()


def read_csv(path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> CSVTable:
    """Read a CSV file with a header row into a :class:`CSVTable`.

    Parameters
    ----------
    path : str or path-like
        The file (UTF-8; a byte-order mark is allowed).
    columns : sequence of str, optional
        Read only these columns: the table holds them alone, in this order, and
        the fields of the other columns are not parsed. By default, every column.

    Returns
    -------
    CSVTable

    Raises
    ------
    CSVDataError
        If the file cannot be opened or decoded, has no header or no data rows, a
        header name is empty or repeated, one of ``columns`` is not in the header,
        a row has the wrong number of fields, or a value (of ``columns``) is not a
        finite number. The message gives the file and, for a problem on one line,
        ``FILE:LINE``.
    """
    path = Path(path)
    records = _read_records(path)
    if not records:
        raise CSVDataError(path, "is empty: expected a header row of column names, then rows of numbers")
    (header_line, header), data = records[0], records[1:]
    names = _column_names(path, header_line, header)
    if not data:
        raise CSVDataError(path, "has a header row but no data rows", header_line)
    wanted = names if columns is None else tuple(columns)
    values = _parse_rows(path, data, names, _positions(path, header_line, names, wanted))
    return CSVTable(path, wanted, values, tuple(line for line, _ in data))


def separator_hint(columns: Sequence[str]) -> str:
    """A hint for a header read as one column because the file uses another separator, or ``""``.

    >>> separator_hint(["sleep;study;score"])
    " (is the file separated by ';' instead of commas?)"
    >>> separator_hint(["sleep", "score"])
    ''
    """
    if len(columns) != 1:
        return ""
    for separator, name in ((";", "';'"), ("\t", "tabs")):
        if separator in columns[0]:
            return f" (is the file separated by {name} instead of commas?)"
    return ""


def _read_records(path: Path) -> list[tuple[int, list[str]]]:
    """The rows of the file that are neither blank nor comments (see :func:`_records`).

    Raises
    ------
    CSVDataError
        If the file cannot be opened, is not UTF-8, or is not CSV (with the line
        the csv module stopped on, e.g. for a field over its size limit).
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            # strict: a quote that is never closed is an error, not a field that swallows the rest of the file
            reader = csv.reader(file, strict=True)
            records: list[tuple[int, list[str]]] = []
            next_start = [1]
            try:
                records.extend(_records(reader, next_start))
            except csv.Error as error:
                start = next_start[0]
                if "unexpected end of data" in str(error):
                    raise CSVDataError(
                        path,
                        'the row starting here has a quoted field that is never closed (a " without its partner)',
                        start,
                    ) from None
                raise CSVDataError(path, f"is not valid CSV: {error}", reader.line_num or None) from None
            return records
    except FileNotFoundError:
        raise CSVDataError(path, "no such file") from None
    except IsADirectoryError:
        raise CSVDataError(path, "is a directory, not a CSV file") from None
    except UnicodeDecodeError as error:
        raise CSVDataError(path, f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise CSVDataError(path, f"cannot be read: {error.strerror or error}") from None


def _records(reader: Iterator[list[str]], next_start: list[int] | None = None) -> Iterator[tuple[int, list[str]]]:
    """``(first line number, fields)`` for every row that is neither blank nor a comment.

    ``next_start[0]``, if given, holds the line on which the row being read starts
    (for the message when the csv module fails on it).
    """
    line = 1
    next_start = [1] if next_start is None else next_start
    for fields in reader:
        start, line = line, reader.line_num + 1  # type: ignore[attr-defined]  # a csv.reader, typed as Iterator
        next_start[0] = line
        if not fields or all(not field.strip() for field in fields):
            continue
        if fields[0].lstrip().startswith("#"):
            continue
        yield start, fields


def _column_names(path: Path, line: int, header: list[str]) -> tuple[str, ...]:
    """The header's names, checked: not empty, not repeated, not numbers."""
    names = tuple(field.strip() for field in header)
    for position, name in enumerate(names, start=1):
        if not name:
            raise CSVDataError(path, f"header column {position} has no name", line)
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise CSVDataError(path, f"header names column {name!r} twice (columns {seen[name]} and {position})", line)
        seen[name] = position
    if all(_is_number(name) for name in names):
        raise CSVDataError(
            path, f"the first row ({', '.join(names)}) is numbers, not column names: add a header row", line
        )
    return names


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _positions(path: Path, line: int, names: tuple[str, ...], wanted: Sequence[str]) -> list[int]:
    """Where each of ``wanted`` is in the header ``names``; a CSVDataError naming any that is not."""
    missing = [name for name in wanted if name not in names]
    if missing:
        raise MissingColumnError(
            path,
            f"no column named {', '.join(map(repr, missing))} (the columns are {', '.join(map(repr, names))})"
            + separator_hint(names),
            line,
        )
    return [names.index(name) for name in wanted]


def _parse_rows(
    path: Path, rows: Sequence[tuple[int, list[str]]], columns: tuple[str, ...], positions: Sequence[int]
) -> np.ndarray:
    """The fields at ``positions`` of every row, as a ``(rows, len(positions))`` float64 array.

    The CSVDataError for a bad row carries the :func:`separator_hint` of the header.
    """
    try:
        values = [_parse_row(path, line, fields, columns, positions) for line, fields in rows]
    except CSVDataError as error:
        hint = separator_hint(columns)
        if not hint:
            raise
        raise CSVDataError(path, error.problem + hint, error.line) from None
    return np.array(values, dtype=np.float64).reshape(len(rows), len(positions))


def _parse_row(
    path: Path, line: int, fields: list[str], columns: tuple[str, ...], positions: Sequence[int]
) -> list[float]:
    """The fields at ``positions`` of one data row, as floats.

    A CSVDataError at ``path:line`` if the row has not one field per header
    column, or one of those fields is not a finite number.
    """
    if len(fields) != len(columns):
        raise CSVDataError(
            path,
            f"line {line} has {plural(len(fields), 'field')}, expected {len(columns)} "
            f"(one per header column: {', '.join(columns)})",
            line,
        )
    return [_parse_value(path, line, columns[i], fields[i]) for i in positions]


def _parse_value(path: Path, line: int, column: str, text: str) -> float:
    """One field as a finite float."""
    stripped = text.strip()
    if not stripped:
        raise CSVDataError(path, f"column {column!r}: missing value (an empty field)", line)
    if not stripped.isascii() or "_" in stripped:  # float() would take "1_000" and other scripts' digits
        raise CSVDataError(
            path,
            f"column {column!r}: cannot read {stripped!r} as a number (write it with the digits 0-9, "
            "without '_' separators)",
            line,
        )
    try:
        value = float(stripped)
    except ValueError:
        raise CSVDataError(path, f"column {column!r}: cannot read {stripped!r} as a number", line) from None
    if math.isnan(value):
        raise CSVDataError(path, f"column {column!r}: {stripped!r} is NaN; the data must be finite numbers", line)
    if math.isinf(value):
        raise CSVDataError(path, f"column {column!r}: {stripped!r} is infinite; the data must be finite numbers", line)
    return value
