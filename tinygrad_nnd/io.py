"""Saving and loading a :class:`~tinygrad_nnd.NeuralNetwork` as a plain ``.npz`` file.

The file is NumPy's zip of ``.npy`` arrays, written without pickle, so loading one
never runs code from the file. It holds:

==============  ==========================================================
``format``      the marker ``"tinygrad_nnd.NeuralNetwork"`` (a string array)
``version``     ``1``
``layer_sizes`` the units per layer, e.g. ``[2, 3, 1]``
``Lambda``      the regularization weight (a float)
``mean_cost``   whether the cost is averaged over the examples (a bool)
``W_1, W_2``    the weights, float64, of shapes ``(layer_sizes[l-1], layer_sizes[l])``
==============  ==========================================================

:func:`load_model` checks all of it and refuses a file that is not exactly that,
with a :class:`ModelFileError` naming the file and the problem.

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from tinygrad_nnd import NeuralNetwork
>>> from tinygrad_nnd.io import save_model, load_model
>>> N = NeuralNetwork(seed=0)
>>> with tempfile.TemporaryDirectory() as folder:
...     path = save_model(N, pathlib.Path(folder) / "model.npz")
...     M = load_model(path)
>>> M
NeuralNetwork(layer_sizes=(2, 3, 1))
>>> all(np.array_equal(a, b) for a, b in zip(N.weights, M.weights))
True
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .nn import NeuralNetwork

__all__ = ["FORMAT", "VERSION", "ModelFileError", "load_model", "save_model"]

#: The marker stored in every model file, to tell ours from other .npz files.
FORMAT = "tinygrad_nnd.NeuralNetwork"
#: The file layout version this module writes and reads.
VERSION = 1

_SETTINGS = ("format", "version", "layer_sizes", "Lambda", "mean_cost")


class ModelFileError(ValueError):
    """A file that :func:`load_model` cannot read as a model.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    problem : str
        What is wrong with it.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def save_model(N: NeuralNetwork, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Write a network to ``path`` as an ``.npz`` file (see the module docstring).

    The file is written at exactly ``path`` (no ``.npz`` is appended), with the
    permissions of any new file (``0o666`` less the umask).

    Parameters
    ----------
    N : NeuralNetwork
        The network: its layer sizes, cost options and weights are saved.
    path : str or path-like
        Where to write.
    overwrite : bool, optional
        Replace an existing file. Without it, an existing file is never touched.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION, dtype=np.int64),
        "layer_sizes": np.array(N.layer_sizes, dtype=np.int64),
        "Lambda": np.array(N.Lambda, dtype=np.float64),
        "mean_cost": np.array(N.mean_cost, dtype=np.bool_),
    }
    for l, W in enumerate(N.weights, start=1):
        arrays[f"W_{l}"] = np.asarray(W, dtype=np.float64)
    if not overwrite and path.exists():
        raise _already_exists(path)
    # Write a temporary file next to the target, then move it into place in one
    # step: an interrupted save never leaves a half-written model behind.
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            # A file object, so NumPy does not add ".npz" to the name.
            np.savez(file, **arrays)
        # mkstemp makes the file private (0o600); give it the permissions of any new file.
        os.chmod(temporary, _new_file_mode())
        if overwrite:
            os.replace(temporary, path)
        else:
            _move_without_replacing(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _new_file_mode() -> int:
    """The permissions ``open()`` gives a new file: ``0o666`` less the process's umask."""
    umask = os.umask(0)  # reading the umask means setting it...
    os.umask(umask)  # ...and putting it back at once
    return 0o666 & ~umask


def _already_exists(path: Path) -> FileExistsError:
    return FileExistsError(f"save_model: {path} already exists; pass overwrite=True to replace it")


def _move_without_replacing(source: str, target: Path) -> None:
    """Rename ``source`` to ``target`` unless ``target`` exists (FileExistsError then)."""
    try:
        # A hard link fails if the target exists, with no window in which another
        # writer's file could be replaced.
        os.link(source, target)
    except FileExistsError:
        raise _already_exists(target) from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise _already_exists(target) from None
        os.replace(source, target)
        return
    os.unlink(source)


def load_model(path: str | os.PathLike[str]) -> NeuralNetwork:
    """Read a network written by :func:`save_model`, checking everything in the file.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.

    Returns
    -------
    NeuralNetwork
        A new network with the saved layer sizes, ``Lambda``, ``mean_cost`` and
        weights (bit for bit the saved values).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFileError
        If the file is not a zip/npz file, is not a tinygrad_nnd model (no format
        marker), has another version, or its settings or weights are missing,
        of the wrong type or shape, not finite, or stored as pickled objects.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_model: no such file: {path}")
    # np.load would fall back to pickle for a file that is neither .npz nor .npy;
    # allow_pickle=False makes that an error, but a clear message is better.
    if not zipfile.is_zipfile(path):
        raise ModelFileError(path, "not a .npz (zip) file, so not a saved model")
    not_ours = f"no format marker {FORMAT!r}: this .npz file was not written by save_model"
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            # The marker first: a file that is not ours is reported as such, not
            # by whatever else happens to be wrong with it.
            if "format" not in names:
                raise ModelFileError(path, not_ours)
            marker = _read_entry(path, archive, "format")
            if marker.shape != () or marker.dtype.kind != "U" or str(marker) != FORMAT:
                raise ModelFileError(path, not_ours)
            entries = {name: _read_entry(path, archive, name) for name in sorted(names - {"format"})}
    except ModelFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(path, f"cannot be read as a .npz file: {error}") from None

    version = _integer_scalar(path, entries, "version")
    if version != VERSION:
        raise ModelFileError(path, f"model file version {version} is not supported (this tinygrad_nnd reads version {VERSION})")
    layer_sizes = _layer_sizes(path, entries)
    Lambda = _float_scalar(path, entries, "Lambda")
    if not (np.isfinite(Lambda) and Lambda >= 0):
        raise ModelFileError(path, f"Lambda is {Lambda}; it must be a finite number >= 0")
    mean_cost = entries.get("mean_cost")
    if mean_cost is None or mean_cost.shape != () or mean_cost.dtype != np.bool_:
        raise ModelFileError(path, "'mean_cost' is missing or not a single bool")

    n_layers = len(layer_sizes) - 1
    expected = {f"W_{l}" for l in range(1, n_layers + 1)}
    unexpected = sorted(names - expected - set(_SETTINGS))
    if unexpected:
        raise ModelFileError(path, f"unexpected entries {unexpected} for layer_sizes {layer_sizes}")
    weights = []
    for l in range(1, n_layers + 1):
        weights.append(_weight(path, entries, l, (layer_sizes[l - 1], layer_sizes[l])))

    # seed=0: draw the placeholder weights from a private generator, leaving
    # NumPy's global random state as the caller had it.
    N = NeuralNetwork(layer_sizes, seed=0, Lambda=Lambda, mean_cost=bool(mean_cost))
    N.weights = weights
    return N


def _read_entry(path: Path, archive: Any, name: str) -> np.ndarray:
    """One array of the archive; object arrays (pickled Python objects) are refused."""
    try:
        array = archive[name]
    except ValueError as error:
        if "pickle" in str(error).lower() or "object" in str(error).lower():
            raise ModelFileError(path, f"entry {name!r} holds pickled Python objects, which are never loaded") from None
        raise ModelFileError(path, f"entry {name!r} cannot be read: {error}") from None
    if not isinstance(array, np.ndarray):  # NumPy hands back members not named *.npy as bytes
        raise ModelFileError(path, f"entry {name!r} is not a NumPy array")
    if array.dtype.hasobject:  # cannot happen with allow_pickle=False, but be explicit
        raise ModelFileError(path, f"entry {name!r} holds Python objects, which are never loaded")
    return array


def _integer_scalar(path: Path, entries: dict[str, np.ndarray], name: str) -> int:
    value = entries.get(name)
    if value is None or value.shape != () or value.dtype.kind not in "iu":
        raise ModelFileError(path, f"{name!r} is missing or not a single integer")
    return int(value)


def _float_scalar(path: Path, entries: dict[str, np.ndarray], name: str) -> float:
    value = entries.get(name)
    if value is None or value.shape != () or value.dtype.kind != "f":
        raise ModelFileError(path, f"{name!r} is missing or not a single float")
    return float(value)


def _layer_sizes(path: Path, entries: dict[str, np.ndarray]) -> tuple[int, ...]:
    sizes = entries.get("layer_sizes")
    if sizes is None or sizes.ndim != 1 or sizes.dtype.kind not in "iu" or len(sizes) < 2 or (sizes < 1).any():
        raise ModelFileError(path, "'layer_sizes' is missing or not a list of at least two positive integers")
    return tuple(int(n) for n in sizes)


def _weight(path: Path, entries: dict[str, np.ndarray], l: int, shape: tuple[int, int]) -> np.ndarray:
    name = f"W_{l}"
    W = entries.get(name)
    if W is None:
        raise ModelFileError(path, f"weight {name} is missing")
    if W.dtype.kind != "f":
        raise ModelFileError(path, f"weight {name} has dtype {W.dtype}; weights must be floating point")
    if W.shape != shape:
        raise ModelFileError(path, f"weight {name} has shape {W.shape}, but layer_sizes needs {shape}")
    if not np.isfinite(W).all():
        raise ModelFileError(path, f"weight {name} contains NaN or infinite values")
    return W.astype(np.float64)  # float32 or float16 widen exactly
