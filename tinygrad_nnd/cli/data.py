"""The data behind ``--data``: built-in sets and CSV files, their scaling, splits and preprocessing.

Scaling follows the series: every input column is divided by its largest
absolute value in the *training* rows (``X / X.max(axis=0)`` for the positive
data of the series), and the test rows by the same numbers. The network's
output is a sigmoid in (0, 1), so the targets are scaled too: the sleep/study
scores by 100 (the maximum score, as in the series), a CSV file's target
columns by their training maxima (they must not be negative), one-hot classes
not at all. ``train --save`` stores these numbers inside the model file
(:class:`Preprocessing`) so ``predict`` can apply them.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets
from ..csvdata import CSVDataError, CSVTable, read_csv, separator_hint
from ..text import plural
from .errors import CLIError

__all__ = [
    "BUILTIN_DATA",
    "Dataset",
    "Preprocessing",
    "Scaling",
    "accuracy",
    "fit_scaling",
    "load_dataset",
    "load_inputs",
    "load_matching",
    "sidecar_path",
    "split_dataset",
]

#: The names ``--data`` accepts besides a CSV file.
BUILTIN_DATA = ("sleep", "iris")

_SLEEP_INPUTS = ("hours_of_sleep", "hours_of_study")
_SLEEP_TARGET = ("test_score",)


@dataclass(frozen=True)
class Dataset:
    """Examples in raw units, with names for the columns.

    Attributes
    ----------
    source : str
        What ``--data`` said (``"sleep"``, ``"iris"`` or the CSV file's path).
    X : ndarray, shape (n, inputs)
    y : ndarray, shape (n, targets)
    input_names, target_names : tuple of str
    target_scale : ndarray or None
        A fixed scale for the targets (the sleep/study scores: 100), or None to
        use the training maxima.
    label_column : str or None
        With ``--one-hot``: the CSV column the class labels came from.
    classes : tuple of float
        With ``--one-hot``: the label of each target column, in order.
    """

    source: str
    X: np.ndarray
    y: np.ndarray
    input_names: tuple[str, ...]
    target_names: tuple[str, ...]
    target_scale: np.ndarray | None = None
    label_column: str | None = None
    classes: tuple[float, ...] = ()

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    @property
    def is_classification(self) -> bool:
        """Whether the targets are classes: one-hot rows, or a single 0/1 column."""
        return _is_one_hot(self.y) or _is_binary_column(self.y)

    def rows(self, indices: Sequence[int] | np.ndarray) -> Dataset:
        """The examples at ``indices``, in that order."""
        indices = np.asarray(indices, dtype=np.intp)
        return replace(self, X=self.X[indices], y=self.y[indices])

    def describe(self) -> str:
        """``"iris: 150 rows, 4 inputs (...), 3 targets (...)"``."""
        return (
            f"{self.source}: {plural(self.n_rows, 'row')}, "
            f"{plural(len(self.input_names), 'input')} ({', '.join(self.input_names)}), "
            f"{plural(len(self.target_names), 'target')} ({', '.join(self.target_names)})"
        )


def _is_one_hot(y: np.ndarray) -> bool:
    return y.shape[1] >= 2 and bool(np.isin(y, (0.0, 1.0)).all() and (y.sum(axis=1) == 1).all())


def _is_binary_column(y: np.ndarray) -> bool:
    return y.shape[1] == 1 and bool(np.isin(y, (0.0, 1.0)).all())


# --------------------------------------------------------------------------- loading


def load_dataset(spec: str, targets: Sequence[str] | None = None, one_hot: bool = False) -> Dataset:
    """The data ``--data spec`` names: ``sleep``, ``iris``, or a CSV file.

    Parameters
    ----------
    spec : str
        A name from :data:`BUILTIN_DATA` or the path of a CSV file.
    targets : sequence of str, optional
        For a CSV file, the target columns (default: the last column); the other
        columns are the inputs.
    one_hot : bool, optional
        For a CSV file, expand the single target column of class labels into
        one column per class.

    Raises
    ------
    CLIError
        If ``--target`` or ``--one-hot`` is used with built-in data.
    CSVDataError
        If the file is missing or malformed, or names no such column.
    """
    if spec in BUILTIN_DATA:
        if targets or one_hot:
            raise CLIError(f"--target and --one-hot are for CSV files; --data {spec} has its own targets")
        return _sleep() if spec == "sleep" else _iris()
    return dataset_from_table(read_csv(spec), targets, one_hot)


def load_matching(spec: str, training: Dataset) -> Dataset:
    """Data with the columns of ``training`` (a test set): picked by name, classes encoded alike.

    Raises
    ------
    CLIError, CSVDataError
        If a column is missing, or a class label is not one of the training classes.
    """
    if spec in BUILTIN_DATA:
        data = load_dataset(spec)
        if (data.input_names, data.target_names) != (training.input_names, training.target_names):
            raise CLIError(f"--test {spec} does not have the columns of {training.source}")
        return data
    table = read_csv(spec)
    if training.label_column is not None:
        return dataset_from_table(table, [training.label_column], True, training.classes, training.input_names)
    return dataset_from_table(table, training.target_names, inputs=training.input_names)


def _sleep() -> Dataset:
    X, y = datasets.sleep_study(normalize=False)
    return Dataset("sleep", X, y, _SLEEP_INPUTS, _SLEEP_TARGET, target_scale=np.array([datasets.MAX_SCORE]))


def _iris() -> Dataset:
    X, labels = datasets.iris()
    names = tuple(datasets.iris_feature_names)
    return Dataset("iris", X, datasets.one_hot(labels, 3), names, tuple(datasets.iris_class_names))


def dataset_from_table(
    table: CSVTable,
    targets: Sequence[str] | None = None,
    one_hot: bool = False,
    classes: Sequence[float] = (),
    inputs: Sequence[str] | None = None,
) -> Dataset:
    """Split a CSV table into inputs and targets.

    ``targets`` and ``one_hot`` are as for :func:`load_dataset`; ``classes`` fixes
    the classes ``one_hot`` encodes (by default those found); ``inputs`` picks the
    input columns (by default every column that is not a target).
    """
    if len(table.columns) < 2:
        raise CSVDataError(
            table.path,
            f"has only the column {table.columns[0]!r}; need at least one input and one target"
            + separator_hint(table.columns),
        )
    target_names = tuple(targets) if targets else table.columns[-1:]
    y = table.select(target_names)  # a CSVDataError for an unknown name
    input_names = tuple(inputs) if inputs else tuple(name for name in table.columns if name not in target_names)
    if not input_names:
        raise CSVDataError(table.path, "every column is a target; at least one must be an input")
    X = table.select(input_names)
    if not one_hot:
        _check_non_negative(table, target_names, y)
        return Dataset(str(table.path), X, y, input_names, target_names)
    label_column = _single_label_column(target_names)
    labels = _whole_number_labels(table, label_column, y[:, 0])
    found = tuple(classes) or _classes_found(table, label_column, labels)
    encoded = _encode(table, label_column, labels, found)
    names = tuple(f"{label_column}={value:g}" for value in found)
    return Dataset(str(table.path), X, encoded, input_names, names, label_column=label_column, classes=found)


def _check_non_negative(table: CSVTable, names: Sequence[str], y: np.ndarray) -> None:
    """Targets are divided by their maxima for a sigmoid output in (0, 1): none may be negative."""
    if (y >= 0).all():
        return
    row, column = (int(i) for i in np.argwhere(y < 0)[0])
    raise CSVDataError(
        table.path,
        f"target column {names[column]!r} has the negative value {y[row, column]:g}; the network's output "
        "lies in (0, 1), so targets must be >= 0 (they are divided by their maximum)",
        table.lines[row],
    )


def _single_label_column(names: Sequence[str]) -> str:
    if len(names) != 1:
        raise CLIError(
            f"--one-hot needs exactly one target column (class labels), got {len(names)}: {', '.join(names)}"
        )
    return names[0]


def _whole_number_labels(table: CSVTable, column: str, labels: np.ndarray) -> np.ndarray:
    not_whole = np.flatnonzero(labels != np.round(labels))
    if not_whole.size:
        row = int(not_whole[0])
        raise CSVDataError(
            table.path,
            f"column {column!r}: --one-hot needs whole-number class labels, got {labels[row]:g}",
            table.lines[row],
        )
    return labels


def _classes_found(table: CSVTable, column: str, labels: np.ndarray) -> tuple[float, ...]:
    classes = tuple(float(value) for value in np.unique(labels))
    if len(classes) < 2:
        raise CSVDataError(
            table.path, f"column {column!r} holds a single class ({classes[0]:g}); --one-hot needs two or more"
        )
    return classes


def _encode(table: CSVTable, column: str, labels: np.ndarray, classes: Sequence[float]) -> np.ndarray:
    """One 0/1 column per class; a CSVDataError for a label that is not one of ``classes``."""
    encoded = (labels[:, None] == np.asarray(classes)[None, :]).astype(np.float64)
    unknown = np.flatnonzero(encoded.sum(axis=1) == 0)
    if unknown.size:
        row = int(unknown[0])
        raise CSVDataError(
            table.path,
            f"column {column!r}: class {labels[row]:g} is not one of the training classes "
            f"({', '.join(f'{c:g}' for c in classes)})",
            table.lines[row],
        )
    return encoded


def load_inputs(spec: str, columns: Sequence[str] | None = None) -> tuple[tuple[str, ...], np.ndarray]:
    """The columns of ``--data spec`` for prediction: ``(names, values)``.

    For built-in data these are its inputs (the caller picks by name). For a CSV
    file, the ``columns`` named, in that order (a CSVDataError if one is missing;
    the file's other columns are not read, so they may hold anything), or every
    column when ``columns`` is None.
    """
    if spec in BUILTIN_DATA:
        data = load_dataset(spec)
        return data.input_names, data.X
    table = read_csv(spec, columns)
    return table.columns, table.values


# --------------------------------------------------------------------------- splitting


def split_dataset(data: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """``(training, test)``: a share ``fraction`` of the rows held out, after a shuffle by ``seed``.

    The test part has ``round(fraction * n)`` rows, at least one; the training part
    keeps at least one.
    """
    n_test = max(1, round(fraction * data.n_rows))
    if n_test >= data.n_rows:
        raise CLIError(
            f"--test-split {fraction:g} of {data.n_rows} rows leaves no training rows "
            f"({data.source} has too few rows to split)"
        )
    order = np.random.default_rng(seed).permutation(data.n_rows)
    return data.rows(np.sort(order[n_test:])), data.rows(np.sort(order[:n_test]))


# --------------------------------------------------------------------------- scaling


@dataclass(frozen=True)
class Scaling:
    """What the inputs and targets are divided by (see the module docstring)."""

    input_scale: np.ndarray
    target_scale: np.ndarray

    def inputs(self, X: np.ndarray) -> np.ndarray:
        return X / self.input_scale

    def targets(self, y: np.ndarray) -> np.ndarray:
        return y / self.target_scale

    def outputs(self, y_hat: np.ndarray) -> np.ndarray:
        """Network outputs back in the targets' units."""
        return y_hat * self.target_scale


def fit_scaling(training: Dataset) -> Scaling:
    """The scaling of :mod:`this module <tinygrad_nnd.cli.data>`, from the training rows."""
    target_scale = training.target_scale
    if target_scale is None:
        target_scale = _column_maxima(training.y)
    return Scaling(_column_maxima(training.X), np.asarray(target_scale, dtype=np.float64))


def _column_maxima(values: np.ndarray) -> np.ndarray:
    """The largest absolute value of each column; 1 for a column of zeros (left as it is)."""
    maxima = np.abs(values).max(axis=0)
    return np.where(maxima > 0, maxima, 1.0)


def accuracy(y_hat: np.ndarray, y: np.ndarray) -> float:
    """The share of rows whose class is right: argmax for one-hot targets, 0.5 threshold for one 0/1 column."""
    if y.shape[1] == 1:
        return float(np.mean((y_hat[:, 0] >= 0.5) == (y[:, 0] == 1)))
    return float(np.mean(datasets.labels_from_one_hot(y_hat) == datasets.labels_from_one_hot(y)))


# --------------------------------------------------------------------------- preprocessing

_SIDECAR_FORMAT = "tinygrad_nnd.cli.preprocessing"
_SIDECAR_VERSION = 1


def sidecar_path(model_path: str | os.PathLike[str]) -> Path:
    """Where models saved by earlier versions kept their preprocessing: ``model.npz.preprocessing.json``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + ".preprocessing.json")


@dataclass(frozen=True)
class Preprocessing:
    """Column names and scaling a model was trained with, stored as JSON inside the model file."""

    input_names: tuple[str, ...]
    target_names: tuple[str, ...]
    scaling: Scaling

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": _SIDECAR_FORMAT,
                "version": _SIDECAR_VERSION,
                "inputs": list(self.input_names),
                "input_scale": self.scaling.input_scale.tolist(),
                "targets": list(self.target_names),
                "target_scale": self.scaling.target_scale.tolist(),
            },
            indent=2,
        )

    @classmethod
    def read(cls, path: Path, n_inputs: int, n_outputs: int) -> Preprocessing:
        """Read and check an older model's separate preprocessing file (see :func:`sidecar_path`)."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError) as error:  # ValueError: bad UTF-8
            raise CLIError(f"{path}: cannot read the model's preprocessing file: {error}") from None
        return cls.from_json(text, str(path), n_inputs, n_outputs)

    @classmethod
    def from_json(cls, text: str, source: str, n_inputs: int, n_outputs: int) -> Preprocessing:
        """Parse and check :meth:`to_json`'s text against a model with ``n_inputs`` and ``n_outputs``.

        ``source`` names where the text came from, for messages.
        """
        path = source
        try:
            content = json.loads(text)
        except ValueError as error:  # bad JSON, an integer of too many digits
            raise CLIError(f"{path}: cannot read the model's preprocessing: {error}") from None
        except RecursionError:
            raise CLIError(f"{path}: the model's preprocessing is nested too deeply to be ours") from None
        if not isinstance(content, dict) or content.get("format") != _SIDECAR_FORMAT:
            raise CLIError(f"{path}: not a tinygrad-nnd preprocessing file (no format marker {_SIDECAR_FORMAT!r})")
        if content.get("version") != _SIDECAR_VERSION:
            raise CLIError(f"{path}: preprocessing file version {content.get('version')!r} is not supported")
        inputs = _names(path, content, "inputs", n_inputs)
        targets = _names(path, content, "targets", n_outputs)
        scaling = Scaling(
            _scales(path, content, "input_scale", n_inputs), _scales(path, content, "target_scale", n_outputs)
        )
        return cls(inputs, targets, scaling)


def _names(path: str, content: dict[str, Any], key: str, expected: int) -> tuple[str, ...]:
    """The column names under ``key``: ``expected`` strings, none repeated."""
    names = content.get(key)
    if not isinstance(names, list) or len(names) != expected or not all(isinstance(n, str) for n in names):
        raise CLIError(f"{path}: {key!r} must be a list of {expected} column names to fit the model")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CLIError(f"{path}: {key!r} names the column {', '.join(map(repr, repeated))} more than once")
    return tuple(names)


def _scales(path: str, content: dict[str, Any], key: str, expected: int) -> np.ndarray:
    """The scales under ``key``: ``expected`` finite numbers > 0, as float64."""
    values = content.get(key)
    problem = f"{path}: {key!r} must be a list of {expected} finite numbers > 0 to fit the model"
    if not isinstance(values, list) or len(values) != expected:
        raise CLIError(problem)
    scales = [_scale(value) for value in values]
    if any(scale is None for scale in scales):
        raise CLIError(problem)
    return np.array(scales, dtype=np.float64)


def _scale(value: Any) -> float | None:
    """A JSON number as a finite float > 0, or None (a string, a bool, an integer too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        scale = float(value)
    except (OverflowError, ValueError, TypeError):
        return None
    return scale if math.isfinite(scale) and scale > 0 else None
