"""The command line: every command run through ``main([...])``, plus the ``python -m`` entry point.

Bad input is covered in ``test_cli_errors.py``; the CSV reader in ``test_cli_csvdata.py``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nnd
from tinygrad_nnd import NeuralNetwork
from tinygrad_nnd.cli import main
from tinygrad_nnd.cli import train as train_command
from tinygrad_nnd.cli.demo import PLOT_FILES
from tinygrad_nnd.io import load_model, read_model, save_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SLEEP_CSV = "sleep,study,score\n3,5,75\n5,1,82\n10,2,93\n6,1.5,70\n"
SLEEP_TEST_CSV = "sleep,study,score\n4,5.5,70\n4.5,1,89\n9,2.5,85\n6,2,75\n"

try:
    import matplotlib  # noqa: F401

    HAVE_MATPLOTLIB = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_MATPLOTLIB = False


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """``cli(*argv)`` runs ``main(argv)`` and returns its exit status and captured output."""

    def run(*argv: str) -> Run:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def sleep_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sleep.csv"
    path.write_text(SLEEP_CSV)
    return path


def final_cost(output: str, part: str = "training") -> float:
    match = re.search(rf"final {part} cost J = (\S+)", output)
    assert match, output
    return float(match.group(1))


# --------------------------------------------------------------------------- entry points


def test_help_lists_every_command(cli) -> None:
    result = cli("--help")
    assert result.code == 0
    for command in ("demo", "train", "predict", "gradcheck", "graph", "explain"):
        assert command in result.out


def test_version(cli) -> None:
    result = cli("--version")
    assert result.code == 0 and tinygrad_nnd.__version__ in result.out


def test_python_dash_m_runs_the_demo(tmp_path: Path) -> None:
    root = Path(tinygrad_nnd.__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    completed = subprocess.run(
        [sys.executable, "-m", "tinygrad_nnd", "demo", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Summary" in completed.stdout and "all checks passed" in completed.stdout
    if HAVE_MATPLOTLIB:
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(PLOT_FILES)


# --------------------------------------------------------------------------- demo


@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib is not installed")
def test_demo_writes_every_plot_and_the_summary(cli, tmp_path: Path) -> None:
    out = tmp_path / "figures"
    result = cli("demo", "--out", str(out))
    assert result.code == 0, result.err
    for name in PLOT_FILES:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        assert len(data) > 1000, name
    summary = result.out.split("== Summary")[1]
    assert "check" in summary and "expected" in summary and "ok" in summary
    assert "NO" not in summary.split()
    assert "all checks passed" in result.out


def test_demo_reproduces_the_reference_figures(cli, tmp_path: Path) -> None:
    result = cli("demo", "--no-plots", "--out", str(tmp_path))
    assert result.code == 0, result.err
    out = result.out
    assert "The gradient is correctly implemented. Well done!" in out
    assert "autodiff      numerical" in out and "hand-written  numerical" in out
    # Part VI with seed 0: the reference run, about 32 iterations to 1.224594e-03 (a local minimum);
    # the demo's own tolerance, since BLAS kernels move the last digits (see demo.SLEEP_SEED0_TOLERANCE).
    found = re.search(r"J = (\S+) in (\d+) iterations", out)
    assert found and abs(float(found[1]) - 1.224594e-3) <= 1e-7, out
    assert "iterations  1-8 " in out  # the cost per iteration, compactly
    # Part VII, Lambda = 1e-4: the usual regularized minimum and its test cost.
    assert re.search(r"Part VII, Lambda=0.0001: training J\s+0.002618", out)
    assert re.search(r"Part VII, Lambda=0.0001: test J\s+0.0032", out)
    # Part VII's lesson: without regularization the test cost falls, then rises (overfitting) ...
    rise = re.search(r"Part VII, Lambda=0: test cost rises\s+(\S+) -> (\S+)\s+ends > 2x its lowest\s+yes", out)
    assert rise and float(rise[2]) > 2 * float(rise[1])
    # ... and regularization brings the error on the test set down.
    error = re.search(r"test error, Lambda=1e-4 vs 0\s+(\S+) vs (\S+) points\s+lower with regularization\s+yes", out)
    assert error and float(error[1]) < float(error[2])
    # Part III: measured time and the series' extrapolation.
    assert "1000**9 evaluations" in out and "1268391679350583.5 years" in out
    assert not list(tmp_path.iterdir())  # --no-plots writes nothing


def test_demo_is_reproducible_for_another_seed(cli, tmp_path: Path) -> None:
    first = cli("demo", "--no-plots", "--seed", "4")
    second = cli("demo", "--no-plots", "--seed", "4")
    assert first.code == second.code == 0
    # Everything before Part III's timing is the same, digit for digit.
    assert first.out.split("== Part III")[0] == second.out.split("== Part III")[0]
    assert "seed 4" in first.out


def test_demo_without_matplotlib_says_how_to_install_it(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    result = cli("demo", "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert "pip install 'tinygrad-nnd[plot]'" in result.out
    assert "Summary" in result.out
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib is not installed")
def test_demo_overwrites_plots_only_with_force(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "sigmoid.png").write_bytes(b"mine")
    refused = cli("demo", "--out", str(out))
    assert refused.code == 2
    assert refused.err.startswith("tinygrad-nnd: error: ") and "sigmoid.png already exists" in refused.err
    assert "--force" in refused.err and refused.out == ""
    assert (out / "sigmoid.png").read_bytes() == b"mine"
    not_a_figure = cli("demo", "--out", str(out), "--force")  # not one of our figures: kept even with --force
    assert not_a_figure.code == 2 and "is not a PNG figure" in not_a_figure.err
    assert (out / "sigmoid.png").read_bytes() == b"mine"
    (out / "sigmoid.png").write_bytes(PNG_SIGNATURE + b"an earlier run's figure")
    forced = cli("demo", "--out", str(out), "--force")
    assert forced.code == 0
    assert (out / "sigmoid.png").read_bytes().startswith(PNG_SIGNATURE) and len(
        (out / "sigmoid.png").read_bytes()
    ) > 1000


# --------------------------------------------------------------------------- train


def test_train_on_sleep_reports_every_iteration_and_the_final_cost(cli) -> None:
    result = cli("train", "--data", "sleep")
    assert result.code == 0, result.err
    assert "network: NeuralNetwork(layer_sizes=(2, 3, 1))" in result.out
    iterations = re.findall(r"^iteration (\d+): J = ", result.out, flags=re.M)
    assert iterations == [str(k) for k in range(1, 33)]  # seed 0: the reference's 32 iterations
    assert final_cost(result.out) == pytest.approx(1.224594e-3, rel=1e-6)
    assert "accuracy" not in result.out  # scores are not classes


def test_train_on_iris_reports_accuracy(cli) -> None:
    result = cli("train", "--data", "iris", "--quiet")
    assert result.code == 0, result.err
    assert "NeuralNetwork(layer_sizes=(4, 3, 3))" in result.out
    match = re.search(r"training accuracy: (\d+)/150 = ", result.out)
    assert match and int(match.group(1)) >= 140
    assert "iteration 1:" not in result.out  # --quiet


def test_train_with_test_split_is_deterministic(cli) -> None:
    args = ("train", "--data", "iris", "--test-split", "0.2", "--maxiter", "30", "--quiet", "--seed", "3")
    first, second = cli(*args), cli(*args)
    assert first.code == 0 and first.out == second.out
    assert "test set: 30 rows (--test-split 0.2, shuffled with seed 3)" in first.out
    assert "data: iris: 120 rows" in first.out
    assert re.search(r"test accuracy: \d+/30", first.out)
    other = cli(*args[:-1], "4")
    assert other.out != first.out


def test_train_on_a_csv_with_a_test_file_and_options(cli, sleep_csv: Path, tmp_path: Path) -> None:
    test_csv = tmp_path / "test.csv"
    test_csv.write_text(SLEEP_TEST_CSV)
    result = cli(
        "train",
        "--data",
        str(sleep_csv),
        "--test",
        str(test_csv),
        "--target",
        "score",
        "--layers",
        "2,4,1",
        "--lambda",
        "1e-4",
        "--mean-cost",
        "--method",
        "l-bfgs-b",
        "--maxiter",
        "50",
    )
    assert result.code == 0, result.err
    assert "NeuralNetwork(layer_sizes=(2, 4, 1), Lambda=0.0001, mean_cost=True)" in result.out
    assert "inputs divided by the training maxima: 10, 5" in result.out
    assert "targets divided by: 93" in result.out
    assert "training with L-BFGS-B" in result.out
    assert re.search(r"^iteration 1: J = \S+, test J = \S+$", result.out, flags=re.M)
    assert final_cost(result.out, "test") > 0


def test_train_one_hot_csv_classes(cli, tmp_path: Path) -> None:
    path = tmp_path / "classes.csv"
    rows = ["x1,x2,kind"] + [f"{a},{b},{int(a > b)}" for a, b in np.random.default_rng(0).random((40, 2)).round(3)]
    path.write_text("\n".join(rows) + "\n")
    result = cli("train", "--data", str(path), "--one-hot", "--quiet", "--test-split", "0.25")
    assert result.code == 0, result.err
    assert "2 targets (kind=0, kind=1)" in result.out
    assert re.search(r"training accuracy: \d+/30", result.out) and re.search(r"test accuracy: \d+/10", result.out)


def test_train_binary_target_reports_accuracy(cli, tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_text("x,label\n0.1,0\n0.2,0\n0.8,1\n0.9,1\n")
    result = cli("train", "--data", str(path), "--quiet")
    assert result.code == 0
    assert "training accuracy: 4/4 = 100.0%" in result.out


def test_progress_on_a_terminal_is_one_updating_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    result = cli("train", "--data", "sleep", "--maxiter", "5")
    assert result.code == 0
    progress = result.out.split("training with BFGS (maxiter 5)\n")[1].split("\n")[0]
    assert progress.count("\r") == 5
    assert progress.split("\r")[-1].startswith("iteration 5: J = ")
    assert not re.search(r"^iteration \d", result.out, flags=re.M)  # no plain lines


def test_progress_off_a_terminal_is_plain_lines(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    result = cli("train", "--data", "sleep", "--maxiter", "5")
    assert "\r" not in result.out
    assert re.findall(r"^iteration (\d): J = \S+$", result.out, flags=re.M) == ["1", "2", "3", "4", "5"]


# --------------------------------------------------------------------------- save and predict


def read_predictions(text: str) -> tuple[list[str], np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], np.array(rows[1:], dtype=float)


def test_save_then_predict_round_trip(cli, sleep_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "models" / "sleep.npz"
    trained = cli("train", "--data", str(sleep_csv), "--quiet", "--save", str(model))
    assert trained.code == 0, trained.err
    assert [path.name for path in model.parent.iterdir()] == ["sleep.npz"]  # one file, preprocessing inside
    assert load_model(model).layer_sizes == (2, 3, 1)

    predicted = cli("predict", "--model", str(model), "--data", str(sleep_csv))
    assert predicted.code == 0 and predicted.err == ""
    header, values = read_predictions(predicted.out)
    assert header == ["score"] and values.shape == (4, 1)
    # In the targets' units; and the training cost follows from them (targets / 93).
    scores = np.array([[75], [82], [93], [70]], dtype=float)
    assert 0.5 * np.sum((values / 93 - scores / 93) ** 2) == pytest.approx(final_cost(trained.out), rel=1e-6)


def test_predict_picks_input_columns_by_name(cli, sleep_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.npz"
    cli("train", "--data", str(sleep_csv), "--quiet", "--save", str(model))
    reordered = tmp_path / "reordered.csv"
    reordered.write_text("note,study,sleep\n1,5,3\n2,1,5\n")
    _, from_reordered = read_predictions(cli("predict", "--model", str(model), "--data", str(reordered)).out)
    _, from_original = read_predictions(cli("predict", "--model", str(model), "--data", str(sleep_csv)).out)
    np.testing.assert_array_equal(from_reordered, from_original[:2])


def test_predict_ignores_columns_the_model_does_not_use(cli, sleep_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.npz"
    cli("train", "--data", str(sleep_csv), "--quiet", "--save", str(model))
    roster = tmp_path / "roster.csv"
    roster.write_text("name,sleep,study,score,remark\nalice,3,5,,none yet\nbob,5,1,n/a,\n")
    result = cli("predict", "--model", str(model), "--data", str(roster))
    assert result.code == 0 and result.err == ""
    _, from_roster = read_predictions(result.out)
    _, from_original = read_predictions(cli("predict", "--model", str(model), "--data", str(sleep_csv)).out)
    np.testing.assert_array_equal(from_roster, from_original[:2])


def test_predict_iris_matches_the_reported_accuracy(cli, tmp_path: Path) -> None:
    model = tmp_path / "iris.npz"
    trained = cli("train", "--data", "iris", "--quiet", "--save", str(model))
    correct = int(re.search(r"training accuracy: (\d+)/150", trained.out).group(1))
    predicted = cli("predict", "--model", str(model), "--data", "iris")
    header, values = read_predictions(predicted.out)
    assert header == ["setosa", "versicolor", "virginica"]
    labels = tinygrad_nnd.datasets.iris()[1]
    assert int(np.sum(values.argmax(axis=1) == labels)) == correct


def test_predict_with_a_model_saved_from_python(cli, tmp_path: Path) -> None:
    model = save_model(NeuralNetwork(seed=2), tmp_path / "plain.npz")
    inputs = tmp_path / "inputs.csv"
    inputs.write_text("a,b\n0.3,1\n0.5,0.2\n")
    refused = cli("predict", "--model", str(model), "--data", str(inputs))
    assert refused.code == 2 and refused.out == ""
    assert "holds no preprocessing" in refused.err and "--unscaled" in refused.err
    result = cli("predict", "--model", str(model), "--data", str(inputs), "--unscaled")
    assert result.code == 0 and result.err == ""
    header, values = read_predictions(result.out)
    assert header == ["y0"]
    np.testing.assert_allclose(values, NeuralNetwork(seed=2).forward([[0.3, 1], [0.5, 0.2]]), rtol=1e-15)


def test_iris_example_of_the_docs_learns_the_classes(cli, tmp_path: Path) -> None:
    """docs/cli.md's ``train --data iris --layers 4,5,3 --test-split 0.3 --save iris.npz``."""
    model = str(tmp_path / "iris.npz")
    result = cli("train", "--data", "iris", "--layers", "4,5,3", "--test-split", "0.3", "--quiet", "--save", model)
    assert result.code == 0, result.err
    assert "training accuracy: 104/105 = 99.0%" in result.out
    assert "test accuracy: 43/45 = 95.6%" in result.out


def test_save_writes_the_model_before_the_final_report(
    cli, sleep_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "m.npz"
    saved_when_reported = []
    report = train_command._report

    def report_noting_the_model(*args: object) -> None:
        saved_when_reported.append(model.exists())
        report(*args)

    monkeypatch.setattr(train_command, "_report", report_noting_the_model)
    result = cli("train", "--data", str(sleep_csv), "--quiet", "--save", str(model))
    assert result.code == 0 and saved_when_reported == [True]
    assert result.out.splitlines()[-1].startswith(f"saved {model}")  # still the last line


class ReaderThatLeaves(io.StringIO):
    """Standard output whose reader goes away (``| head -2``) after two writes."""

    def write(self, text: str) -> int:
        if len(self.getvalue().splitlines()) >= 2:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_save_survives_a_reader_that_stops_early(
    sleep_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quiet: list[str]
) -> None:
    model = tmp_path / "m.npz"
    monkeypatch.setattr(sys, "stdout", ReaderThatLeaves())
    assert main(["train", "--data", str(sleep_csv), *quiet, "--save", str(model)]) == 1  # as for any closed pipe
    assert load_model(model).layer_sizes == (2, 3, 1)
    assert read_model(model).preprocessing is not None


def test_closed_pipe_is_reported_by_status_not_a_message_at_exit(sleep_csv: Path, tmp_path: Path) -> None:
    """With buffered output, a reader that left shows only when the output is flushed: still handled."""
    model = tmp_path / "m.npz"
    root = Path(tinygrad_nnd.__file__).resolve().parent.parent
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "tinygrad_nnd", "train", "--data", str(sleep_csv), "--save", str(model)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    process.stdout.close()  # the reader is gone before the first line
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1 and err == b""
    assert load_model(model).layer_sizes == (2, 3, 1)


def test_saved_files_get_ordinary_permissions(cli, sleep_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.npz"
    previous = os.umask(0o022)
    try:
        assert cli("train", "--data", str(sleep_csv), "--quiet", "--save", str(model)).code == 0
    finally:
        os.umask(previous)
    assert model.stat().st_mode & 0o777 == 0o644


def test_save_overwrites_only_with_force(cli, sleep_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.npz"
    assert cli("train", "--data", str(sleep_csv), "--quiet", "--save", str(model)).code == 0
    before = model.read_bytes()
    refused = cli("train", "--data", str(sleep_csv), "--quiet", "--save", str(model), "--seed", "1")
    assert refused.code == 2 and refused.out == ""
    assert refused.err == f"tinygrad-nnd: error: {model} already exists; use --force to overwrite it\n"
    assert model.read_bytes() == before
    forced = cli("train", "--data", str(sleep_csv), "--quiet", "--save", str(model), "--seed", "1", "--force")
    assert forced.code == 0 and model.read_bytes() != before


# --------------------------------------------------------------------------- gradcheck, graph, explain


@pytest.mark.parametrize(
    ("args", "network"),
    [
        ((), "(2, 3, 1)"),
        (("--data", "iris", "--layers", "4,5,2,3", "--lambda", "0.01", "--seed", "7"), "(4, 5, 2, 3), Lambda=0.01"),
    ],
)
def test_gradcheck_table(cli, args: tuple[str, ...], network: str) -> None:
    result = cli("gradcheck", *args)
    assert result.code == 0, result.err
    assert f"NeuralNetwork(layer_sizes={network}" in result.out
    rows = re.findall(
        r"^\s+(autodiff|hand-written)\s+(numerical|hand-written)\s+(\S+)\s+(\S+)\s+yes$", result.out, flags=re.M
    )
    assert [(a, b) for a, b, _, _ in rows] == [
        ("autodiff", "numerical"),
        ("hand-written", "numerical"),
        ("autodiff", "hand-written"),
    ]
    assert all(float(ratio) < 1e-7 for _, _, ratio, _ in rows)


def test_gradcheck_on_a_csv(cli, sleep_csv: Path) -> None:
    result = cli("gradcheck", "--data", str(sleep_csv), "--mean-cost")
    assert result.code == 0 and "4 rows" in result.out


def test_graph_as_text_and_dot(cli) -> None:
    text = cli("graph")
    assert text.code == 0
    assert text.out.splitlines()[0].split() == ["id", "label", "op", "inputs", "shape", "requires_grad"]
    for name in ("W_1", "z_2", "a_2", "W_2", "z_3", "y_hat", "J"):
        assert re.search(rf"^%\d+\s+{name}\s", text.out, flags=re.M), name
    dot = cli("graph", "--format", "dot", "--layers", "2,4,4,1")
    assert dot.code == 0 and dot.out.startswith("digraph") and "W_3" in dot.out
    tree = cli("graph", "--format", "tree")
    assert tree.code == 0 and "J" in tree.out


def test_graph_creates_the_folder_of_out_as_train_and_demo_do(cli, tmp_path: Path) -> None:
    out = tmp_path / "new" / "graph.dot"
    result = cli("graph", "--format", "dot", "--out", str(out))
    assert result.code == 0, result.err
    assert out.read_text().startswith("digraph")


def test_graph_to_a_file(cli, tmp_path: Path) -> None:
    out = tmp_path / "graph.dot"
    result = cli("graph", "--format", "dot", "--out", str(out))
    assert result.code == 0 and out.read_text().startswith("digraph")
    assert cli("graph", "--format", "dot", "--out", str(out)).code == 2
    assert cli("graph", "--out", str(out), "--force").code == 0
    assert out.read_text().startswith("id")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graph_renders_svg_with_graphviz(cli, tmp_path: Path) -> None:  # pragma: no cover - needs Graphviz
    out = tmp_path / "graph.svg"
    assert cli("graph", "--format", "svg", "--out", str(out)).code == 0
    assert "<svg" in out.read_text()


def test_explain_code_prints_the_compiled_gradient_beside_the_series_chain_rule(cli) -> None:
    """--code: the source N.cost_and_gradients runs, the series' cost_function_prime, and the matching lines."""
    result = cli("explain", "--code")
    assert result.code == 0, result.err
    for line in ("dJ_dz_3 = dJ_dy_hat * y_hat * (1.0 - y_hat)", "dJ_dW_2 = a_2.T @ dJ_dz_3", "dJ_dW_1 = X.T @ dJ_dz_2"):
        assert f"    {line}  #" in result.out
    assert "delta_2 = np.dot(delta_3, self.W_2.T) * sigmoid_prime(self.z_2)" in result.out
    assert re.search(r"^  dJ_dz_3 +is  delta_3$", result.out, flags=re.M)
    assert re.search(r"^  dJ_dz_2 +is  delta_2$", result.out, flags=re.M)
    deeper = cli("explain", "--code", "--layers", "2,4,3,1")
    assert deeper.code == 0 and re.search(r"^  dJ_dz_4 +is  delta_4$", deeper.out, flags=re.M)


def test_explain_walks_the_backward_pass(cli) -> None:
    result = cli("explain")
    assert result.code == 0, result.err
    steps = re.findall(r"^step (\d+): (\S+) =", result.out, flags=re.M)
    assert [k for k, _ in steps] == [str(k) for k in range(len(steps))]
    assert steps[0][1] == "J"
    assert "delta_3" in result.out and "delta_2" in result.out
