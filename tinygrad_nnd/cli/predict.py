"""``tinygrad-nnd predict``: a saved model's predictions for a CSV file, as CSV on standard output."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

import numpy as np

from ..csvdata import MissingColumnError
from ..nn import NeuralNetwork
from .data import Preprocessing, load_inputs
from .errors import CLIError
from .network import load_model_with_preprocessing
from .options import parse_path

__all__ = ["register", "run"]

DESCRIPTION = """\
Write the predictions of a model saved by 'train --save' for every row of a CSV
file: a header row (the target names, or y0..yk), then one row per example,
in the targets' own units.

The model file holds the names of its input columns (picked from the file by
name, so extra columns such as the targets are ignored) and their scaling. A
model saved from Python without them is refused, since raw data would give
wrong predictions, unless --unscaled says its inputs are the file's columns, in
order, used as they are.
"""


def register(subparsers: Any) -> None:
    """Add the ``predict`` command."""
    parser = subparsers.add_parser(
        "predict",
        help="predict with a saved model; CSV on standard output",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model", type=parse_path, required=True, metavar="MODEL.npz", help="a model written by train --save"
    )
    parser.add_argument(
        "--data",
        type=parse_path,
        required=True,
        metavar="PATH.csv",
        help="the inputs: a CSV file with a header row (or sleep, iris)",
    )
    parser.add_argument(
        "--unscaled",
        action="store_true",
        help="for a model without preprocessing (saved from Python): the file's columns, in order, are its inputs, as they are",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the model and the inputs, predict, write CSV."""
    N, preprocessing = load_model_with_preprocessing(args.model)
    if preprocessing is None and not args.unscaled:
        raise CLIError(
            f"{args.model} holds no preprocessing (the column names and scaling it was trained with), so its "
            "predictions on raw data would be wrong: save it with 'train --save', or, if it takes the file's "
            "columns as they are, pass --unscaled"
        )
    if preprocessing is not None and args.unscaled:
        raise CLIError(
            f"--unscaled is for models without preprocessing; {args.model} has its own column names and scaling"
        )
    names, values = _read_inputs(args, preprocessing)
    if preprocessing is None:
        X = _inputs_as_they_are(args, N, names, values)
        header = [f"y{k}" for k in range(N.output_layer_size)]
        predictions = N.forward(X)
    else:
        X = _named_inputs(args, preprocessing, names, values)
        header = list(preprocessing.target_names)
        predictions = preprocessing.scaling.outputs(N.forward(preprocessing.scaling.inputs(X)))
    _write_csv(header, predictions)
    return 0


def _read_inputs(args: argparse.Namespace, preprocessing: Preprocessing | None) -> tuple[tuple[str, ...], np.ndarray]:
    """The columns of ``--data`` as ``(names, values)``.

    With a preprocessing file, only the model's inputs are read, so the file's
    other columns (targets, notes, text) may hold anything; without one, every column.
    """
    if preprocessing is None:
        return load_inputs(args.data)
    try:
        return load_inputs(args.data, preprocessing.input_names)
    except MissingColumnError as error:
        raise CLIError(
            f"{error}; the model {args.model} takes as input: {', '.join(preprocessing.input_names)}"
        ) from None


def _named_inputs(
    args: argparse.Namespace, preprocessing: Preprocessing, names: tuple[str, ...], values: np.ndarray
) -> np.ndarray:
    """The model's input columns, picked from the data by name."""
    missing = [name for name in preprocessing.input_names if name not in names]
    if missing:
        raise CLIError(
            f"{args.data}: no column named {', '.join(map(repr, missing))}, which the model {args.model} "
            f"takes as input (its inputs: {', '.join(preprocessing.input_names)})"
        )
    return values[:, [names.index(name) for name in preprocessing.input_names]]


def _inputs_as_they_are(
    args: argparse.Namespace, N: NeuralNetwork, names: tuple[str, ...], values: np.ndarray
) -> np.ndarray:
    """All columns as inputs, for a model without preprocessing, with --unscaled (they must fit exactly)."""
    if values.shape[1] != N.input_layer_size:
        raise CLIError(
            f"{args.data} has {values.shape[1]} columns, but the model {args.model} takes "
            f"{N.input_layer_size} inputs (layer_sizes {N.layer_sizes})"
        )
    return values


def _write_csv(header: list[str], predictions: np.ndarray) -> None:
    """Header and rows on standard output; numbers as the shortest text that reads back exactly."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in predictions:
        writer.writerow([repr(float(value)) for value in row])
