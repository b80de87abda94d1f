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
``b_1, b_2``    only for a network with biases (``bias=True``): float64, of shapes ``(layer_sizes[l],)``
``output``      only for a network whose output is not the series' sigmoid: ``"softmax"``
``preprocessing``  optional: JSON text saying how the data is prepared for the
                network (the command line's ``train --save`` stores its column
                names and scales there, so a model is always one file)
==============  ==========================================================

:func:`load_model` checks all of it and refuses a file that is not exactly that,
with a :class:`ModelFileError` naming the file and the problem. Every entry's
``.npy`` header (its dtype and shape) is read and checked against the others and
against the bytes actually stored before any data is read, so a crafted header
that declares a huge array is refused instead of being allocated.

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

import math
import os
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .nn import NeuralNetwork
from .nn.network import OUTPUTS, param_layout

__all__ = [
    "FORMAT",
    "VERSION",
    "ModelFileError",
    "SavedModel",
    "is_model_file",
    "load_model",
    "read_model",
    "save_model",
]

#: The marker stored in every model file, to tell ours from other .npz files.
FORMAT = "tinygrad_nnd.NeuralNetwork"
#: The file layout version this module writes and reads.
VERSION = 1

_SETTINGS = ("format", "version", "layer_sizes", "Lambda", "mean_cost")
_OPTIONAL = ("preprocessing", "output")
#: Deflate never shrinks data more than about 1032 to 1: a bound on what a compressed entry can hold.
_DEFLATE_MAX_RATIO = 1032


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


def save_model(
    N: NeuralNetwork, path: str | os.PathLike[str], overwrite: bool = False, *, preprocessing: str | None = None
) -> Path:
    """Write a network to ``path`` as an ``.npz`` file (see the module docstring).

    The file is written at exactly ``path`` (no ``.npz`` is appended), with the
    permissions of any new file (``0o666`` less the umask), in one step: it is
    written under a temporary name and renamed, so ``path`` is never half written.

    Parameters
    ----------
    N : NeuralNetwork
        The network: its layer sizes, cost options and weights are saved.
    path : str or path-like
        Where to write.
    overwrite : bool, optional
        Replace an existing regular file. Without it, an existing file is never
        touched; with it, a link, a folder or a device (``/dev/null``) is still refused.
    preprocessing : str, optional
        JSON text to store in the file with the network (read back by :func:`read_model`).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    ValueError
        If a weight or ``Lambda`` is NaN or infinite (the file could not be
        loaded), ``preprocessing`` is not valid JSON, or ``path`` exists and is
        not a regular file.
    """
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise ValueError(f"save_model: {str(path)!r} names a folder, not a file")
    for name, W in _named_params(N):
        if not np.isfinite(W).all():
            raise ValueError(f"save_model: {name} contains NaN or infinite values; such a model could not be loaded")
    if not np.isfinite(N.Lambda):
        raise ValueError(f"save_model: Lambda is {N.Lambda}; it must be finite")
    if preprocessing is not None:
        _check_json(preprocessing)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION, dtype=np.int64),
        "layer_sizes": np.array(N.layer_sizes, dtype=np.int64),
        "Lambda": np.array(N.Lambda, dtype=np.float64),
        "mean_cost": np.array(N.mean_cost, dtype=np.bool_),
    }
    for name, W in _named_params(N):
        arrays[name] = np.asarray(W, dtype=np.float64)
    if N.output != "sigmoid":
        arrays["output"] = np.array(N.output)
    if preprocessing is not None:
        arrays["preprocessing"] = np.array(preprocessing)
    if not overwrite and os.path.lexists(path):
        raise _already_exists(path)
    _check_regular_or_missing(path)
    # Write a temporary file next to the target, then move it into place in one
    # step: an interrupted save never leaves a half-written model behind.
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            # A file object, so NumPy does not add ".npz" to the name.
            np.savez(file, **arrays)  # type: ignore[arg-type]  # NumPy's stubs take **arrays for allow_pickle
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


def _check_json(text: str) -> None:
    import json

    try:
        json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"save_model: preprocessing must be JSON text: {error}") from None


def _check_regular_or_missing(path: Path) -> None:
    """A ValueError if ``path`` exists and is not a regular file (renaming over it would replace it)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"save_model: {path} exists and is not a regular file (a link, folder or device); it is never replaced"
        )


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


class SavedModel(NamedTuple):
    """What :func:`read_model` found in a model file."""

    network: NeuralNetwork
    #: The JSON text stored with ``save_model(..., preprocessing=...)``, or None.
    preprocessing: str | None


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
        of the wrong type or shape, not finite, stored as pickled objects, or
        declared larger than the file holds.
    """
    return read_model(path).network


def is_model_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a zip file with our format marker entry (a quick look, not a full check)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "format.npy" in archive.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def read_model(path: str | os.PathLike[str]) -> SavedModel:
    """:func:`load_model`, also returning the preprocessing JSON text stored with the network (or None)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_model: no such file: {path}")
    # np.load would fall back to pickle for a file that is neither .npz nor .npy;
    # allow_pickle=False makes that an error, but a clear message is better.
    if not zipfile.is_zipfile(path):
        raise ModelFileError(path, "not a .npz (zip) file, so not a saved model")
    not_ours = f"no format marker {FORMAT!r}: this .npz file was not written by save_model"
    try:
        with zipfile.ZipFile(path) as archive:
            headers = _headers(path, archive)
            # The marker first: a file that is not ours is reported as such, not
            # by whatever else happens to be wrong with it.
            marker_header = headers.get("format")
            if marker_header is None or marker_header[0] != () or marker_header[1].kind != "U":
                raise ModelFileError(path, not_ours)
            if str(_read_entry(path, archive, "format")) != FORMAT:
                raise ModelFileError(path, not_ours)
            names = set(headers)
            scalars = [name for name in (*_SETTINGS, *_OPTIONAL) if name in names and name != "format"]
            for name in scalars:  # settings are scalars or a short list: nothing large is read here
                shape = headers[name][0]
                if len(shape) > 1 or (shape and shape[0] > 64):
                    raise ModelFileError(
                        path, f"entry {name!r} has shape {shape}; expected a single value or a short list"
                    )
            entries = {name: _read_entry(path, archive, name) for name in scalars}
            version = _integer_scalar(path, entries, "version")
            if version != VERSION:
                raise ModelFileError(
                    path, f"model file version {version} is not supported (this tinygrad_nnd reads version {VERSION})"
                )
            layer_sizes = _layer_sizes(path, entries)
            # biases: all of them (any entry b_1, b_2, ... asks for every one), or none
            bias = any(f"b_{layer}" in names for layer in range(1, len(layer_sizes)))
            shapes = {name: shape for name, shape, _ in param_layout(layer_sizes, bias=bias)}
            expected = set(shapes)
            unexpected = sorted(names - expected - set(_SETTINGS) - set(_OPTIONAL))
            if unexpected:
                raise ModelFileError(path, f"unexpected entries {unexpected} for layer_sizes {layer_sizes}")
            for name, shape in shapes.items():  # shapes and types from the headers, before any weight is read
                _check_weight_header(path, headers, name, shape)
            for name in sorted(expected):
                entries[name] = _read_entry(path, archive, name)
    except ModelFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(path, f"cannot be read as a .npz file: {error}") from None

    Lambda = _float_scalar(path, entries, "Lambda")
    if not (np.isfinite(Lambda) and Lambda >= 0):
        raise ModelFileError(path, f"Lambda is {Lambda}; it must be a finite number >= 0")
    mean_cost = entries.get("mean_cost")
    if mean_cost is None or mean_cost.shape != () or mean_cost.dtype != np.bool_:
        raise ModelFileError(path, "'mean_cost' is missing or not a single bool")
    preprocessing = entries.get("preprocessing")
    if preprocessing is not None and (preprocessing.shape != () or preprocessing.dtype.kind != "U"):
        raise ModelFileError(path, "'preprocessing' is not a single string (of JSON text)")
    output = entries.get("output")
    if output is not None and (output.shape != () or output.dtype.kind != "U" or str(output) not in OUTPUTS):
        raise ModelFileError(path, f"'output' must be one of {', '.join(OUTPUTS)}")
    params = {name: _weight(path, entries, name, shape) for name, shape in shapes.items()}

    # seed=0: draw the placeholder weights from a private generator, leaving
    # NumPy's global random state as the caller had it.
    N = NeuralNetwork(
        layer_sizes,
        seed=0,
        Lambda=Lambda,
        mean_cost=bool(mean_cost),
        bias=bias,
        output="sigmoid" if output is None else str(output),
    )
    for name, array in params.items():  # each array checked above: the shape the layout gives it
        setattr(N, name, array)
    return SavedModel(N, None if preprocessing is None else str(preprocessing))


def _headers(path: Path, archive: zipfile.ZipFile) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """``{entry: (shape, dtype)}`` from every ``.npy`` member's header, checked against the bytes stored.

    Members not named ``*.npy`` are left out (so a zip of other files has no marker).
    """
    headers = {}
    archive_size = path.stat().st_size
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            continue
        name = info.filename[: -len(".npy")]
        with archive.open(info) as member:
            try:
                version = np.lib.format.read_magic(member)
            except ValueError:
                raise ModelFileError(path, f"entry {name!r} is not a NumPy array") from None
            try:
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            except (ValueError, EOFError) as error:
                raise ModelFileError(path, f"entry {name!r} cannot be read: {error}") from None
            header_size = member.tell()
        if dtype.hasobject:
            raise ModelFileError(path, f"entry {name!r} holds pickled Python objects, which are never loaded")
        declared = math.prod(shape) * dtype.itemsize
        stored = info.file_size - header_size
        physical = info.compress_size * (1 if info.compress_type == zipfile.ZIP_STORED else _DEFLATE_MAX_RATIO)
        if declared != stored or info.compress_size > archive_size or declared > physical:
            raise ModelFileError(
                path,
                f"entry {name!r} declares an array of shape {shape} ({declared} bytes), "
                f"but the file holds {max(min(stored, physical), 0)} bytes for it",
            )
        headers[name] = (tuple(shape), dtype)
    return headers


def _named_params(N: NeuralNetwork) -> list[tuple[str, np.ndarray]]:
    """``[("W_1", W_1), ..., ("b_1", b_1), ...]``: the parameters under their names in the file."""
    return [(name, p) for (name, _, _), p in zip(N.param_layout(), N.params)]


def _check_weight_header(
    path: Path, headers: dict[str, tuple[tuple[int, ...], np.dtype]], name: str, shape: tuple[int, ...]
) -> None:
    if name not in headers:
        raise ModelFileError(path, f"weight {name} is missing")
    found, dtype = headers[name]
    if dtype.kind != "f":
        raise ModelFileError(path, f"weight {name} has dtype {dtype}; weights must be floating point")
    if found != shape:
        raise ModelFileError(path, f"weight {name} has shape {found}, but layer_sizes needs {shape}")


def _read_entry(path: Path, archive: zipfile.ZipFile, name: str) -> np.ndarray:
    """One array of the archive, read without pickle (its header has been checked by :func:`_headers`)."""
    try:
        with archive.open(f"{name}.npy") as member:
            array = np.lib.format.read_array(member, allow_pickle=False)
    except ValueError as error:  # damaged data: object arrays were refused from their header's dtype
        raise ModelFileError(path, f"entry {name!r} cannot be read: {error}") from None
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


def _weight(path: Path, entries: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
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
