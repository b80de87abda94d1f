"""Networks for the commands: built to fit the data, or loaded with their preprocessing."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..io import ModelFileError, read_model
from ..nn import NeuralNetwork
from ..nn.trainer import available_memory, format_bytes, method_memory
from .data import Dataset, Preprocessing, fit_scaling, load_dataset, sidecar_path
from .errors import CLIError
from .options import DEFAULT_HIDDEN
from .output import plural

__all__ = ["build_network", "check_layers_fit", "load_model_with_preprocessing", "scaled_data"]


def check_layers_fit(layers: Sequence[int], data: Dataset) -> None:
    """A CLIError unless ``layers`` starts with the data's inputs and ends with its targets."""
    spelled = ",".join(map(str, layers))
    n_in, n_out = len(data.input_names), len(data.target_names)
    if layers[0] != n_in:
        raise CLIError(
            f"--layers {spelled} has {plural(layers[0], 'input')}, but {data.source} has "
            f"{plural(n_in, 'input column')} ({', '.join(data.input_names)})"
        )
    if layers[-1] != n_out:
        raise CLIError(
            f"--layers {spelled} has {plural(layers[-1], 'output')}, but {data.source} has "
            f"{plural(n_out, 'target column')} ({', '.join(data.target_names)})"
        )


#: Copies of the weights a command holds at once (weights, gradient, the optimizer's vectors).
_WEIGHT_COPIES = 6


def check_memory(layers: Sequence[int], method: str | None = None) -> None:
    """A CLIError, before anything is allocated, if the network (trained with ``method``) cannot fit in memory."""
    available = available_memory()
    if available is None:
        return
    spelled = ",".join(map(str, layers))
    n_params = sum(n_in * n_out for n_in, n_out in itertools.pairwise(layers))
    needed = _WEIGHT_COPIES * 8 * n_params
    if needed > available:
        raise CLIError(
            f"--layers {spelled} has {n_params:,} weights, which need about {format_bytes(needed)} of memory; "
            f"this machine has {format_bytes(available)} available: choose smaller layers"
        )
    if method is not None and method_memory(method, n_params) + needed > available:
        raise CLIError(
            f"--method {method} keeps dense {n_params:,} x {n_params:,} matrices for the {n_params:,} weights of "
            f"--layers {spelled}: about {format_bytes(method_memory(method, n_params))} of memory, and this machine "
            f"has {format_bytes(available)} available; use --method L-BFGS-B, which keeps only a few vectors"
        )


def build_network(args: argparse.Namespace, data: Dataset) -> NeuralNetwork:
    """The network that ``--layers``, ``--seed``, ``--lambda``, ``--mean-cost``, ``--bias`` and ``--softmax`` describe, for ``data``.

    Its memory (and that of ``--method``, for commands that train) is checked before it is built.
    """
    layers = args.layers or (len(data.input_names), DEFAULT_HIDDEN, len(data.target_names))
    check_layers_fit(layers, data)
    check_memory(layers, getattr(args, "method", None))
    init = getattr(args, "init", "uniform").replace("-", "_")
    return NeuralNetwork(
        layers,
        seed=args.seed,
        Lambda=args.Lambda,
        mean_cost=args.mean_cost,
        init=init,
        bias=getattr(args, "bias", False),
        output="softmax" if getattr(args, "softmax", False) else "sigmoid",
    )


def scaled_data(args: argparse.Namespace) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """``--data`` loaded and scaled by its own maxima: ``(data, X, y)`` as the network sees them."""
    data = load_dataset(args.data, args.target, args.one_hot)
    scaling = fit_scaling(data)
    return data, scaling.inputs(data.X), scaling.targets(data.y)


def load_model_with_preprocessing(path: str) -> tuple[NeuralNetwork, Preprocessing | None]:
    """A model saved by ``train --save`` and the preprocessing stored in it (None when there is none).

    A model written before the preprocessing moved into the model file has it in
    a separate file next to it (:func:`.data.sidecar_path`), which is read instead.

    Raises
    ------
    CLIError
        If the model file is missing, a folder, or not a tinygrad-nnd model, or
        its preprocessing does not fit it.
    """
    if Path(path).is_dir():
        raise CLIError(f"{path} is a folder, not a model file")
    try:
        N, text = read_model(path)
    except FileNotFoundError:
        raise CLIError(f"{path}: no such model file") from None
    except ModelFileError as error:
        raise CLIError(f"{error.path}: not a tinygrad-nnd model file: {error.problem}") from None
    if text is not None:
        return N, Preprocessing.from_json(text, path, N.input_layer_size, N.output_layer_size)
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return N, None
    preprocessing = Preprocessing.read(Path(sidecar), N.input_layer_size, N.output_layer_size)
    print(
        f"tinygrad-nnd: note: read the preprocessing of {path} from {sidecar}, where older versions kept "
        "it; 'train --save' now stores it in the model file",
        file=sys.stderr,
    )
    return N, preprocessing
