"""Issue 10: nothing replaced that is not ours, no silent wrong answers, one clear line for bad input.

Each test here failed before the fix it checks.
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nnd import NeuralNetwork
from tinygrad_nnd.cli import main
from tinygrad_nnd.io import FORMAT, ModelFileError, load_model, read_model, save_model

GOOD_CSV = "sleep,study,score\n3,5,75\n5,1,82\n10,2,93\n"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert out == ""  # refused before any work: nothing loaded or trained
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-nnd: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    path.write_text(GOOD_CSV)
    return path


# --------------------------------------------------------------------------- 1. --force replaces only our own regular files

OUTPUTS = {  # command line writing OUT, and the kind of file it writes
    "train": (["train", "--quiet", "--maxiter", "2", "--save"], "model"),
    "graph": (["graph", "--format", "dot", "--out"], "graph"),
}
#: Refusals come before any work, so explain --html (which needs Graphviz to succeed) is checked too.
REFUSING = {**OUTPUTS, "explain": (["explain", "--html"], "html")}


@pytest.mark.parametrize("command", sorted(REFUSING))
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_symlink_is_never_written_through_or_replaced(capsys, tmp_path: Path, command: str, force: list[str]) -> None:
    target = tmp_path / "target.txt"
    target.write_text("someone's file")
    link = tmp_path / "link"
    link.symlink_to(target)
    argv, _ = REFUSING[command]
    assert_refused(capsys, [*argv, str(link), *force], str(link), "symbolic link")
    assert link.is_symlink() and target.read_text() == "someone's file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("command", sorted(REFUSING))
def test_a_named_pipe_is_never_replaced(capsys, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    argv, _ = REFUSING[command]
    assert_refused(capsys, [*argv, str(fifo), "--force"], str(fifo), "named pipe", "not a regular file")
    assert fifo.exists() and not fifo.is_file()


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
@pytest.mark.parametrize("command", sorted(REFUSING))
def test_dev_null_is_never_replaced(capsys, command: str) -> None:
    argv, _ = REFUSING[command]
    assert_refused(capsys, [*argv, "/dev/null", "--force"], "/dev/null", "character device")
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize("command", sorted(OUTPUTS))
def test_force_replaces_only_a_file_of_ours(capsys, tmp_path: Path, command: str) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    argv, _ = OUTPUTS[command]
    assert_refused(capsys, [*argv, str(notes), "--force"], str(notes), "--force will not replace it")
    assert notes.read_text() == "my notes"
    ours = tmp_path / "ours"
    code, _, err = run(capsys, *argv, str(ours))
    assert code == 0, err
    code, _, err = run(capsys, *argv, str(ours), "--force")
    assert code == 0, err


def test_demo_force_replaces_only_png_figures(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "figures"
    folder.mkdir()
    (folder / "sigmoid.png").write_text("not a figure")
    assert_refused(capsys, ["demo", "--out", str(folder), "--force"], "sigmoid.png", "is not a PNG figure")
    (folder / "sigmoid.png").unlink()
    (folder / "sigmoid.png").symlink_to(tmp_path / "elsewhere.png")
    assert_refused(capsys, ["demo", "--out", str(folder), "--force"], "symbolic link")


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("output", ["--out", "--html"])
def test_graph_and_explain_never_overwrite_the_data_they_read(
    capsys, data: Path, force: list[str], output: str
) -> None:
    command = "graph" if output == "--out" else "explain"
    line = assert_refused(
        capsys, [command, "--data", str(data), output, str(data), *force], "would overwrite the --data file"
    )
    assert str(data) in line and data.read_text() == GOOD_CSV


@pytest.mark.parametrize("name", [".", "/", "..", "models/"])
def test_save_to_a_folder_name_is_one_line(capsys, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    assert_refused(capsys, ["train", "--save", name], "names a folder, not a file")
    assert_refused(capsys, ["graph", "--out", name], "names a folder, not a file")


def test_library_save_model_refuses_to_replace_a_link_or_device(tmp_path: Path) -> None:
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "target.npz")
    with pytest.raises(ValueError, match="not a regular file"):
        save_model(NeuralNetwork(seed=0), link, overwrite=True)
    assert link.is_symlink() and not (tmp_path / "target.npz").exists()


# --------------------------------------------------------------------------- 2. one model file


def test_the_model_is_one_file_with_its_preprocessing(capsys, tmp_path: Path, data: Path) -> None:
    model = tmp_path / "m.npz"
    code, _, err = run(capsys, "train", "--data", str(data), "--quiet", "--save", str(model))
    assert code == 0, err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["d.csv", "m.npz"]
    saved = read_model(model)
    assert '"inputs": [' in saved.preprocessing and '"sleep"' in saved.preprocessing
    copied = tmp_path / "elsewhere" / "copy.npz"  # copying the one file copies the whole model
    copied.parent.mkdir()
    copied.write_bytes(model.read_bytes())
    assert (
        run(capsys, "predict", "--model", str(model), "--data", str(data))[1]
        == run(capsys, "predict", "--model", str(copied), "--data", str(data))[1]
    )


def test_save_model_refuses_nan_weights_that_load_model_would_refuse(tmp_path: Path) -> None:
    N = NeuralNetwork(seed=0)
    N.W_2[1, 0] = np.nan
    with pytest.raises(ValueError, match="W_2 contains NaN or infinite"):
        save_model(N, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists() and not list(tmp_path.iterdir())


def crafted_npz(path: Path, shape: tuple[int, ...]) -> None:
    """A valid model whose W_1 header declares ``shape``, though the file holds six numbers."""
    save_model(NeuralNetwork(seed=0), path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    members["W_1.npy"] = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + np.zeros(6).tobytes()
    members["layer_sizes.npy"] = members["layer_sizes.npy"]  # layer_sizes stay (2, 3, 1)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


@pytest.mark.parametrize("shape", [(10**6, 10**6), (2, 3 * 10**9)])
def test_a_header_declaring_a_huge_array_is_refused_before_reading(tmp_path: Path, shape: tuple[int, int]) -> None:
    path = tmp_path / "crafted.npz"
    crafted_npz(path, shape)
    with pytest.raises(ModelFileError, match=r"declares an array of shape .* but the file holds 48 bytes"):
        load_model(path)


def test_a_crafted_header_is_one_line_on_the_command_line(capsys, tmp_path: Path) -> None:
    path = tmp_path / "crafted.npz"
    crafted_npz(path, (10**6, 10**6))
    assert_refused(capsys, ["predict", "--model", str(path), "--data", "sleep", "--unscaled"], "declares an array")


def test_layer_sizes_matching_a_crafted_huge_weight_are_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "crafted.npz"
    N = NeuralNetwork(seed=0)
    arrays = {
        "format": np.array(FORMAT),
        "version": np.array(1),
        "layer_sizes": np.array([10**6, 10**6]),
        "Lambda": np.array(0.0),
        "mean_cost": np.array(False),
    }
    with open(path, "wb") as file:
        np.savez(file, **arrays, W_1=N.W_1)
    with pytest.raises(ModelFileError, match=r"W_1 has shape \(2, 3\), but layer_sizes needs"):
        load_model(path)


# --------------------------------------------------------------------------- 5. smaller ones


def test_a_failed_graphviz_drawing_leaves_no_empty_folder(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_render(dot_text: str, path: object, image_format: str) -> None:
        raise RuntimeError("render: 'dot -Tsvg' failed: syntax error in line 1")

    monkeypatch.setattr("tinygrad_nnd.cli.graph.render", failing_render)
    out = tmp_path / "new" / "deeper" / "graph.svg"
    code, _, err = run(capsys, "graph", "--format", "svg", "--out", str(out))
    assert code == 2 and "failed" in err
    assert list(tmp_path.iterdir()) == []  # neither "new" nor "new/deeper" is left behind


# --------------------------------------------------------------------------- 2. the chain rule from several threads


def test_the_hand_written_chain_rule_is_safe_for_threads_sharing_one_network() -> None:
    """Property: 4 threads calling cost_and_gradients_by_hand on one network with different data get their own answers.

    Before the fix the intermediates were read back from attributes another thread
    could overwrite in between (1 to 3 wrong per 2,000 calls); a tiny switch interval
    makes such interleavings frequent.
    """
    import sys
    import threading

    N = NeuralNetwork((2, 4, 1), seed=0)
    rng = np.random.default_rng(1)
    datasets = [(rng.random((n, 2)), rng.random((n, 1))) for n in (3, 5, 7, 9)]
    expected = [N.cost_and_gradients_by_hand(X, y) for X, y in datasets]
    expected_prime = [N.cost_function_prime(X, y) for X, y in datasets]
    wrong: list[int] = []

    def work(k: int) -> None:
        X, y = datasets[k]
        for _ in range(300):
            J, g = N.cost_and_gradients_by_hand(X, y)
            prime = N.cost_function_prime(X, y)
            if expected[k][0] != J or not np.array_equal(g, expected[k][1]):
                wrong.append(k)
            if not all(np.array_equal(a, b) for a, b in zip(prime, expected_prime[k])):
                wrong.append(k)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert wrong == []


# --------------------------------------------------------------------------- 3. one line, not a traceback


@pytest.mark.parametrize(
    ("layers", "method", "fragments"),
    [
        ("2,100000000000,1", "L-BFGS-B", ("300,000,000,000 weights", "choose smaller layers")),
        ("2,1000,1000,1", "BFGS", ("--method BFGS keeps dense 1,003,000 x 1,003,000 matrices", "--method L-BFGS-B")),
        ("2,300,300,1", "SLSQP", ("--method SLSQP keeps dense", "--method L-BFGS-B")),
    ],
)
def test_a_network_too_big_for_memory_is_refused_before_anything_is_allocated(
    capsys, monkeypatch: pytest.MonkeyPatch, layers: str, method: str, fragments: tuple[str, ...]
) -> None:
    monkeypatch.setattr("tinygrad_nnd.cli.network.available_memory", lambda: 2 * 10**9)
    line = assert_refused(capsys, ["train", "--layers", layers, "--method", method], *fragments)
    assert "2 GB available" in line


def test_a_network_that_fits_with_lbfgsb_is_not_refused(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tinygrad_nnd.cli.network.available_memory", lambda: 2 * 10**9)
    code, _, err = run(capsys, "train", "--layers", "2,300,300,1", "--method", "L-BFGS-B", "--maxiter", "1", "--quiet")
    assert code == 0, err


def test_the_library_trainer_refuses_bfgs_beyond_memory_with_the_same_suggestion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tinygrad_nnd import Trainer
    from tinygrad_nnd.nn import TrainingMemoryError

    monkeypatch.setattr("tinygrad_nnd.nn.trainer.available_memory", lambda: 10**9)
    N = NeuralNetwork((2, 4000, 1), seed=0)  # 12,000 weights: BFGS's matrices need about 4.6 GB
    with pytest.raises(TrainingMemoryError, match=r"BFGS keeps dense 12,000 x 12,000 matrices.*use method L-BFGS-B"):
        Trainer(N)
    assert isinstance(TrainingMemoryError("x"), MemoryError)
    Trainer(N, method="L-BFGS-B")  # a few vectors: fine


@pytest.mark.parametrize("maxiter", ["99999999999999999999999", str(2**31)])
def test_an_iteration_limit_beyond_what_scipy_counts_is_one_line(capsys, maxiter: str) -> None:
    assert_refused(
        capsys, ["train", "--method", "SLSQP", "--maxiter", maxiter], "argument --maxiter", "at most 2147483647"
    )


def test_trainer_refuses_a_huge_maxiter() -> None:
    from tinygrad_nnd import Trainer

    with pytest.raises(ValueError, match="maxiter must be between 1 and 2147483647"):
        Trainer(NeuralNetwork(seed=0), method="SLSQP", maxiter=10**23)


def run_script(*args: str, close_stdout: bool = False, encoding: str | None = None, cwd: Path) -> tuple[int, str]:
    """Run the command line in a fresh interpreter: with standard output closed, or with another encoding."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "tinygrad_nnd", *args]
    env = {**os.environ}
    if encoding is not None:
        env["PYTHONIOENCODING"] = encoding
    if close_stdout:
        command = ["sh", "-c", 'exec "$@" >&-', "sh", *command]
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stderr=subprocess.PIPE,
        stdout=None if close_stdout else subprocess.PIPE,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stderr


def test_train_with_stdout_closed_saves_the_model_and_says_so_in_one_line(tmp_path: Path) -> None:
    code, err = run_script("train", "--quiet", "--maxiter", "3", "--save", "m.npz", close_stdout=True, cwd=tmp_path)
    assert code == 2 and "Traceback" not in err
    assert (
        err.strip()
        == "tinygrad-nnd: error: standard output is closed, so the report was not shown; the model was saved to m.npz"
    )
    assert load_model(tmp_path / "m.npz").layer_sizes == (2, 3, 1)


@pytest.mark.parametrize("argv", [["gradcheck"], ["predict", "--model", "m.npz", "--data", "sleep"], ["train"]])
def test_other_commands_with_stdout_closed_refuse_in_one_line(tmp_path: Path, argv: list[str]) -> None:
    save_model(NeuralNetwork(seed=0), tmp_path / "m.npz", preprocessing=None)
    code, err = run_script(*argv, close_stdout=True, cwd=tmp_path)
    assert code == 2 and len(err.splitlines()) == 1 and "standard output is closed" in err, err


def test_train_on_an_ascii_stdout_shows_a_non_ascii_name_escaped_and_saves(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("größe,note\n1,0.1\n2,0.5\n3,0.9\n", encoding="utf-8")
    code, err = run_script(
        "train", "--data", "d.csv", "--maxiter", "3", "--save", "m.npz", encoding="ascii", cwd=tmp_path
    )
    assert code == 0 and err == ""
    assert (tmp_path / "m.npz").is_file()


def test_predict_on_an_ascii_stdout_refuses_a_name_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,größe\n1,0.1\n2,0.5\n3,0.9\n", encoding="utf-8")
    assert run_script("train", "--data", "d.csv", "--quiet", "--maxiter", "3", "--save", "m.npz", cwd=tmp_path)[0] == 0
    code, err = run_script("predict", "--model", "m.npz", "--data", "d.csv", encoding="ascii", cwd=tmp_path)
    assert code == 2 and len(err.splitlines()) == 1
    assert (
        "encoding (ascii) cannot write" in err and "PYTHONIOENCODING=utf-8" in err
    )  # stderr is ascii too: the name escaped


# --------------------------------------------------------------------------- 5. smaller ones, continued


@pytest.mark.parametrize("value", ["1e155", "1e7", "nan", "inf"])
def test_lambda_outside_0_to_1e6_is_refused(capsys, value: str) -> None:
    assert_refused(capsys, ["train", "--lambda", value], "argument --lambda", "from 0 to 1e6")


def test_the_largest_lambda_trains_without_warnings(capsys) -> None:
    code, _, err = run(capsys, "train", "--lambda", "1e6", "--quiet")
    assert code == 0 and err == ""  # the suite turns warnings into errors: none was raised


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('a,b\n1,2\n\n3,"4\n5,6\n7,8\n', 4, "quoted field that is never closed"),
        ("a,b\n1,2\n3,1_000\n", 3, "cannot read '1_000' as a number"),
        ("a,b\n1,2\n3,\u0661\u0662\n", 3, "cannot read '\u0661\u0662' as a number"),  # Arabic-Indic digits
        ("a,b\n\uff11,2\n", 2, "digits 0-9"),  # a full-width 1
    ],
    ids=["unterminated quote", "underscore separator", "arabic-indic digits", "full-width digit"],
)
def test_the_csv_reader_refuses_what_float_would_quietly_accept(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    from tinygrad_nnd.csvdata import CSVDataError, read_csv

    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CSVDataError) as info:
        read_csv(path)
    assert info.value.line == line and str(info.value).startswith(f"{path}:{line}: ")
    assert fragment in str(info.value)


# --------------------------------------------------------------------------- 4. training that learned nothing; one gradient check


def test_fan_in_initialisation_trains_the_wide_iris_network_the_default_cannot(capsys) -> None:
    """iris, 4-50-3, 30% held out: the default [0, 1) weights stop at iteration 0 (33%); fan-in weights learn."""
    argv = ["train", "--data", "iris", "--layers", "4,50,3", "--test-split", "0.3", "--quiet"]
    code, out, err = run(capsys, *argv)
    assert code == 0 and "(0 iterations" in out and "test accuracy: 15/45 = 33.3%" in out
    assert len(err.splitlines()) == 1 and err.startswith("tinygrad-nnd: warning: training stopped at iteration 0")
    assert "--init fan-in" in err
    code, out, err = run(capsys, *argv, "--init", "fan-in")
    assert code == 0 and err == ""
    accuracy = float(out.split("test accuracy: ")[1].split("= ")[1].split("%")[0])
    assert accuracy > 80  # measured 86.7% (chance: 33.3%)


def test_training_no_better_than_chance_is_warned(capsys, tmp_path: Path) -> None:
    # Labels that the inputs cannot predict (the same inputs, both classes): accuracy stays at the majority share.
    data = tmp_path / "coin.csv"
    data.write_text("x,label\n" + "".join(f"1,{k % 2}\n" for k in range(9)))
    code, _, err = run(capsys, "train", "--data", str(data), "--one-hot", "--quiet")
    assert code == 0
    assert err.startswith("tinygrad-nnd: warning: training ended no better than chance") and "--init fan-in" in err


def test_the_default_initialisation_is_still_the_seeds() -> None:
    N = NeuralNetwork((4, 50, 3), seed=3)
    rng = np.random.default_rng(3)
    assert all(np.array_equal(W, rng.random(W.shape)) for W in N.weights)
    F = NeuralNetwork((4, 50, 3), seed=3, init="fan_in")
    rng = np.random.default_rng(3)
    for W in F.weights:
        limit = np.sqrt(3 / W.shape[0])
        np.testing.assert_array_equal(W, (2 * rng.random(W.shape) - 1) * limit)
    with pytest.raises(ValueError, match="init must be one of"):
        NeuralNetwork(init="he")


def test_gradcheck_explains_an_all_but_zero_gradient_instead_of_blaming_the_code(capsys) -> None:
    code, out, _ = run(capsys, "gradcheck", "--data", "iris", "--layers", "4,50,3")
    assert code == 0
    assert "can't tell" in out and "NO" not in out.split()
    assert "The gradient is all but zero at these weights" in out and "error in your gradient" not in out


def test_test_gradient_says_the_same_where_the_gradient_is_all_but_zero(capsys) -> None:
    from tinygrad_nnd import test_gradient
    from tinygrad_nnd.datasets import iris, one_hot

    X, labels = iris()
    check = test_gradient(NeuralNetwork((4, 50, 3), seed=0), X / X.max(axis=0), one_hot(labels))
    assert not check.passed and check.all_but_zero
    assert capsys.readouterr().out.startswith("The gradient is all but zero at these weights")


def test_a_check_fails_only_where_its_norm_ratio_can_judge() -> None:
    """failed, outcome and verdict agree: a large ratio with every difference within resolution is "can't tell"."""
    from tinygrad_nnd.nn.gradient_check import FAILED, PASSED, GradientCheck, verdict

    ok = GradientCheck("autodiff", "numerical", 1e-10, 1e-12, 1e-8)
    unsure = GradientCheck("autodiff", "numerical", 0.5, 1e-9, 1e-8)
    wrong = GradientCheck("autodiff", "numerical", 0.5, 1e-3, 1e-8)
    assert [c.failed for c in (ok, unsure, wrong)] == [False, False, True]
    assert [c.outcome for c in (ok, unsure, wrong)] == ["yes", "can't tell", "NO"]
    assert verdict([ok]) == PASSED and verdict([unsure, wrong]) == FAILED
    assert verdict([ok, unsure]).startswith("The gradient is all but zero at these weights")


def test_one_threshold_for_the_series_check_and_the_command_line(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A norm ratio of 1.2e-7 used to pass test_gradient (1.6e-7) and fail gradcheck (1e-7): now both judge it alike."""
    from tinygrad_nnd import test_gradient
    from tinygrad_nnd.datasets import sleep_study
    from tinygrad_nnd.nn import NORM_RATIO_LIMIT, gradient_check

    original = gradient_check.compute_numerical_gradient

    def off_by_a_ratio_of_1_2e_minus_7(N: NeuralNetwork, X: object, y: object) -> np.ndarray:
        return original(N, X, y) * 0 + N.compute_gradients(X, y) * (1 + 2.4e-7)  # ratio d / (2 + d) = 1.2e-7

    monkeypatch.setattr(gradient_check, "compute_numerical_gradient", off_by_a_ratio_of_1_2e_minus_7)
    check = test_gradient(NeuralNetwork(seed=0), *sleep_study(), verbose=False)
    assert check.norm_ratio == pytest.approx(1.2e-7, rel=1e-3) and NORM_RATIO_LIMIT == 1e-7
    assert not check.passed
    _, out, _ = run(capsys, "gradcheck")
    assert "yes" not in out.split("numerical")[1].splitlines()[0]  # the autodiff-numerical row does not pass either
    assert f"ok (ratio < {NORM_RATIO_LIMIT:g})" in out
