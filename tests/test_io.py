"""Tests for tinygrad_nnd.io: saving and loading networks as .npz files, and refusing bad files."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import NeuralNetwork
from tinygrad_nnd.io import FORMAT, VERSION, ModelFileError, load_model, save_model

# ----------------------------------------------------------------------------- round trip


@st.composite
def networks(draw: st.DrawFn) -> NeuralNetwork:
    """Networks of 2 to 4 layers with arbitrary finite float64 weights and cost options."""
    sizes = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    Lambda = draw(st.floats(0.0, 1e3, allow_nan=False))
    N = NeuralNetwork(sizes, seed=0, Lambda=Lambda, mean_cost=draw(st.booleans()))
    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
    N.weights = [draw(hnp.arrays(np.float64, W.shape, elements=finite)) for W in N.weights]
    return N


@given(N=networks(), as_str=st.booleans())
def test_round_trip_preserves_everything_exactly(N: NeuralNetwork, as_str: bool) -> None:
    """Property: load_model(save_model(N)) has the same layers, options and bit-identical weights."""
    with tempfile.TemporaryDirectory() as folder:
        path: Any = Path(folder) / "model.npz"
        save_model(N, str(path) if as_str else path)
        M = load_model(str(path) if as_str else path)
    assert isinstance(M, NeuralNetwork)
    assert M.layer_sizes == N.layer_sizes
    assert M.Lambda == N.Lambda and M.mean_cost == N.mean_cost
    for W, V in zip(N.weights, M.weights):
        assert V.dtype == np.float64
        assert V.tobytes() == W.tobytes()  # bit for bit: -0.0 and subnormals too


def test_saved_file_is_plain_npz_without_pickle(tmp_path: Path) -> None:
    path = save_model(NeuralNetwork((4, 5, 5, 3), seed=1, Lambda=0.5), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["Lambda", "W_1", "W_2", "W_3", "format", "layer_sizes", "mean_cost", "version"]
        assert str(archive["format"]) == FORMAT and int(archive["version"]) == VERSION
        assert archive["layer_sizes"].tolist() == [4, 5, 5, 3]
        assert all(not archive[name].dtype.hasobject for name in archive.files)


def test_save_writes_exactly_the_path_given(tmp_path: Path) -> None:
    """Property: no '.npz' is appended (unlike np.savez with a file name), and no temporary file is left."""
    save_model(NeuralNetwork(seed=0), tmp_path / "model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert load_model(tmp_path / "model").layer_sizes == (2, 3, 1)


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    """Property: an existing file is never replaced without overwrite=True; the error names the path."""
    path = tmp_path / "model.npz"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="model.npz") as info:
        save_model(NeuralNetwork(seed=0), path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
    save_model(NeuralNetwork((2, 4, 1), seed=0), path, overwrite=True)
    assert load_model(path).layer_sizes == (2, 4, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("overwrite", [False, True])
def test_saved_file_has_the_permissions_of_a_new_file(tmp_path: Path, umask: int, mode: int, overwrite: bool) -> None:
    """Property: the model gets 0o666 less the umask, like any new file (not the temporary file's 0o600)."""
    previous = os.umask(umask)
    try:
        path = save_model(NeuralNetwork(seed=0), tmp_path / "m.npz", overwrite=overwrite)
        assert os.umask(umask) == umask  # the umask is left as it was
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == mode


def test_load_does_not_touch_the_global_random_state(tmp_path: Path) -> None:
    path = save_model(NeuralNetwork(seed=0), tmp_path / "m.npz")
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    load_model(path)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_float32_weights_are_accepted_and_widened(tmp_path: Path) -> None:
    arrays = valid_arrays()
    arrays["W_1"] = arrays["W_1"].astype(np.float32)
    np.savez(tmp_path / "m.npz", **arrays)
    M = load_model(tmp_path / "m.npz")
    assert M.W_1.dtype == np.float64
    np.testing.assert_array_equal(M.W_1, arrays["W_1"])


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        load_model(tmp_path / "nothing.npz")


# ----------------------------------------------------------------------------- bad files


def valid_arrays() -> dict[str, np.ndarray]:
    """What save_model writes for a 2-3-1 network."""
    N = NeuralNetwork(seed=0)
    return {
        "format": np.array(FORMAT),
        "version": np.array(VERSION),
        "layer_sizes": np.array([2, 3, 1]),
        "Lambda": np.array(0.0),
        "mean_cost": np.array(False),
        "W_1": N.W_1,
        "W_2": N.W_2,
    }


def npz_with(**changes: Any) -> Callable[[Path], None]:
    """A writer of a .npz file: the valid arrays with some replaced (or removed, with None)."""

    def write(path: Path) -> None:
        arrays = valid_arrays()
        for name, value in changes.items():
            if value is None:
                arrays.pop(name)
            else:
                arrays[name] = value
        with open(path, "wb") as file:
            np.savez(file, **arrays)  # np.savez pickles object arrays: a hostile file

    return write


def write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def write_npy(path: Path) -> None:
    with open(path, "wb") as file:
        np.save(file, np.ones((2, 3)))


def write_truncated(path: Path) -> None:
    save_model(NeuralNetwork(seed=0), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_non_npy_member(path: Path) -> None:
    """A zip whose member is named like an array but holds other bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("format.npy", b"not an npy header at all")


def write_corrupt_member(path: Path) -> None:
    """A zip whose member starts like .npy data and then breaks off."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("format.npy", b"\x93NUMPY\x01\x00garbage")


def write_foreign_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")


BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "text file": (write_bytes(b"W_1 = [[1, 2, 3]]\n"), "not a .npz"),
    "empty file": (write_bytes(b""), "not a .npz"),
    "npy file": (write_npy, "not a .npz"),
    "truncated npz": (write_truncated, "npz"),
    "zip of a non-npy member": (write_non_npy_member, "not a NumPy array"),
    "zip of a corrupt npy member": (write_corrupt_member, "cannot be read"),
    "zip without arrays": (write_foreign_zip, "format marker"),
    "plain npz, no marker": (npz_with(format=None), "format marker"),
    "another marker": (npz_with(format=np.array("someone.else.Model")), "format marker"),
    "marker not a string": (npz_with(format=np.array(1)), "format marker"),
    "marker as array of strings": (npz_with(format=np.array([FORMAT])), "format marker"),
    "newer version": (npz_with(version=np.array(VERSION + 1)), f"version {VERSION + 1} is not supported"),
    "no version": (npz_with(version=None), "'version' is missing"),
    "float version": (npz_with(version=np.array(1.0)), "'version' is missing or not a single integer"),
    "no layer_sizes": (npz_with(layer_sizes=None), "layer_sizes"),
    "float layer_sizes": (npz_with(layer_sizes=np.array([2.0, 3.0, 1.0])), "layer_sizes"),
    "one layer": (npz_with(layer_sizes=np.array([2])), "layer_sizes"),
    "zero-size layer": (npz_with(layer_sizes=np.array([2, 0, 1])), "layer_sizes"),
    "no Lambda": (npz_with(Lambda=None), "Lambda"),
    "negative Lambda": (npz_with(Lambda=np.array(-1.0)), "Lambda"),
    "NaN Lambda": (npz_with(Lambda=np.array(np.nan)), "Lambda"),
    "no mean_cost": (npz_with(mean_cost=None), "mean_cost"),
    "int mean_cost": (npz_with(mean_cost=np.array(1)), "mean_cost"),
    "missing weight": (npz_with(W_2=None), "weight W_2 is missing"),
    "extra weight": (npz_with(W_3=np.ones((1, 1))), "unexpected entries ['W_3']"),
    "wrong shape": (npz_with(W_1=np.ones((3, 2))), "W_1 has shape (3, 2), but layer_sizes needs (2, 3)"),
    "vector weight": (npz_with(W_2=np.ones(3)), "W_2 has shape (3,)"),
    "integer weights": (npz_with(W_1=np.ones((2, 3), dtype=np.int64)), "W_1 has dtype int64"),
    "bool weights": (npz_with(W_1=np.ones((2, 3), dtype=bool)), "W_1 has dtype bool"),
    "complex weights": (npz_with(W_1=np.ones((2, 3), dtype=complex)), "W_1 has dtype complex128"),
    "string weights": (npz_with(W_1=np.full((2, 3), "1.0")), "W_1 has dtype <U3"),
    "NaN weight": (npz_with(W_2=np.array([[0.5], [np.nan], [0.1]])), "W_2 contains NaN or infinite"),
    "infinite weight": (npz_with(W_1=np.full((2, 3), -np.inf)), "W_1 contains NaN or infinite"),
    "object weights (pickle)": (
        npz_with(W_1=np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=object)),
        "pickled Python objects",
    ),
    "object marker (pickle)": (npz_with(format=np.array({"format": FORMAT}, dtype=object)), "pickled Python objects"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_raise_model_file_error_naming_the_file(case: str, tmp_path: Path) -> None:
    """Property: every malformed file raises ModelFileError whose message has the path and the problem."""
    write, problem = BAD_FILES[case]
    path = tmp_path / f"bad {case}.npz"
    write(path)
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    error = info.value
    assert isinstance(error, ValueError)
    assert str(path) in str(error)
    assert error.path == path
    assert problem in error.problem, f"{case}: {error.problem!r}"
    with pytest.raises(ModelFileError):  # a str path is refused the same way
        load_model(str(path))


def test_object_arrays_are_never_unpickled(tmp_path: Path) -> None:
    """Property: a file whose entry is pickled is refused without running the pickle."""

    class Boom:
        def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
            return (Path(tmp_path / "pwned").touch, ())

    weights = np.empty((2, 3), dtype=object)
    weights[...] = 1.0
    weights[0, 0] = Boom()
    npz_with(W_1=weights)(tmp_path / "evil.npz")
    with pytest.raises(ModelFileError, match="pickled"):
        load_model(tmp_path / "evil.npz")
    assert not (tmp_path / "pwned").exists()
