"""Bad input on the command line: exit status 2 and one line on stderr that names the problem.

Every case checks the same contract: ``main`` returns 2, standard error is exactly
one line ``tinygrad-nnd: error: ...`` with no traceback, and the line names the
problem (with ``FILE:LINE`` where a line of a file is to blame).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nnd import NeuralNetwork
from tinygrad_nnd.cli import main
from tinygrad_nnd.io import save_model

GOOD_CSV = "sleep,study,score\n3,5,75\n5,1,82\n10,2,93\n"


def assert_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> str:
    """Run ``main(argv)``; check the bad-input contract and that the message holds ``fragments``."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, (captured.out, captured.err)
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("tinygrad-nnd: error: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.fixture
def good_csv(tmp_path: Path) -> str:
    return write(tmp_path / "good.csv", GOOD_CSV)


@pytest.fixture
def model(tmp_path: Path, good_csv: str, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "model.npz")
    assert main(["train", "--data", good_csv, "--quiet", "--maxiter", "3", "--save", path]) == 0
    capsys.readouterr()
    return path


# --------------------------------------------------------------------------- files that are missing


@pytest.mark.parametrize("command", ["train", "gradcheck", "graph", "explain"])
def test_missing_data_file(capsys, tmp_path: Path, command: str) -> None:
    missing = str(tmp_path / "nowhere.csv")
    assert_bad_input(capsys, [command, "--data", missing], f"{missing}: no such file")


def test_missing_test_file(capsys, tmp_path: Path, good_csv: str) -> None:
    missing = str(tmp_path / "test.csv")
    assert_bad_input(capsys, ["train", "--data", good_csv, "--test", missing], f"{missing}: no such file")


def test_missing_model_file(capsys, tmp_path: Path, good_csv: str) -> None:
    missing = str(tmp_path / "model.npz")
    assert_bad_input(capsys, ["predict", "--model", missing, "--data", good_csv], missing, "no such model file")


def test_model_that_is_a_folder(capsys, tmp_path: Path, good_csv: str) -> None:
    line = assert_bad_input(
        capsys, ["predict", "--model", str(tmp_path), "--data", good_csv], f"{tmp_path} is a folder"
    )
    assert "no such" not in line


def test_missing_predict_data(capsys, tmp_path: Path, model: str) -> None:
    missing = str(tmp_path / "inputs.csv")
    assert_bad_input(capsys, ["predict", "--model", model, "--data", missing], f"{missing}: no such file")


def test_data_is_a_directory(capsys, tmp_path: Path) -> None:
    assert_bad_input(capsys, ["train", "--data", str(tmp_path)], str(tmp_path), "is a directory")


# --------------------------------------------------------------------------- malformed CSV files


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("a,b,y\n1,2,3\n4,5\n", (":3: line 3 has 2 fields, expected 3",)),
        ("a,b,y\n1,2,3\n4,5,6,7\n", (":3: line 3 has 4 fields, expected 3",)),
        ("a,b,y\n1,2,3\n\n# note\n4,x5,6\n", (":5:", "column 'b'", "'x5'", "as a number")),
        ("a,b,y\n1,2,3\n4,nan,6\n", (":3:", "column 'b'", "NaN")),
        ("a,b,y\n1,2,3\n4,NaN,6\n", (":3:", "column 'b'", "NaN")),
        ("a,b,y\n1,2,3\n4,5,inf\n", (":3:", "column 'y'", "infinite")),
        ("a,b,y\n1,,3\n", (":2:", "column 'b'", "missing value")),
        ("a,b,y\n", (":1:", "no data rows")),
        ("", ("is empty",)),
        ("1,2,3\n4,5,6\n", (":1:", "add a header row")),
        ("a,a,y\n1,2,3\n", (":1:", "'a' twice")),
        ("a,,y\n1,2,3\n", (":1:", "column 2 has no name")),
        ('a,b,y\n1,"2\n",3\n4,5\n', (":4: line 4 has 2 fields",)),  # a quoted field spans lines 2-3
    ],
)
def test_malformed_csv(capsys, tmp_path: Path, text: str, fragments: tuple[str, ...]) -> None:
    path = write(tmp_path / "data.csv", text)
    assert_bad_input(capsys, ["train", "--data", path], path, *fragments)


def test_not_utf8(capsys, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("größe,y\n1,2\n".encode("latin-1"))
    assert_bad_input(capsys, ["train", "--data", str(path)], str(path), "not UTF-8")


def test_csv_separated_by_semicolons_gets_a_hint(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "semicolons.csv", "sleep;study;score\n3;5;75\n")
    assert_bad_input(
        capsys, ["train", "--data", path], f"{path}:2:", "(is the file separated by ';' instead of commas?)"
    )


def test_single_column_of_numbers_with_a_tab_in_its_name_gets_a_hint(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "tabs.csv", "sleep\tscore\n3\n")
    assert_bad_input(capsys, ["train", "--data", path], "has only the column", "(is the file separated by tabs")


def test_field_over_the_csv_limit_names_its_line(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "huge.csv", "a,y\n1,2\n" + "7" * 200_000 + ",3\n")
    assert_bad_input(capsys, ["train", "--data", path], f"{path}:3: is not valid CSV", "field limit")


def test_malformed_test_file_names_its_line(capsys, tmp_path: Path, good_csv: str) -> None:
    test = write(tmp_path / "test.csv", "sleep,study,score\n4,5.5,70\n4.5,one,89\n")
    assert_bad_input(capsys, ["train", "--data", good_csv, "--test", test], f"{test}:3:", "'study'", "'one'")


def test_malformed_predict_data_names_its_line(capsys, tmp_path: Path, model: str) -> None:
    inputs = write(tmp_path / "inputs.csv", "sleep,study\n3,5\n5\n")
    assert_bad_input(
        capsys, ["predict", "--model", model, "--data", inputs], f"{inputs}:3: line 3 has 1 field, expected 2"
    )


# --------------------------------------------------------------------------- data that does not fit


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["train", "--data", "iris", "--layers", "2,3,3"], ("--layers 2,3,3 has 2 inputs", "iris has 4 input columns")),
        (
            ["train", "--data", "iris", "--layers", "4,3,1"],
            ("--layers 4,3,1 has 1 output", "iris has 3 target columns"),
        ),
        (["gradcheck", "--layers", "3,3,1"], ("--layers 3,3,1 has 3 inputs", "sleep has 2 input columns")),
        (["graph", "--layers", "2,3,2"], ("--layers 2,3,2 has 2 outputs", "sleep has 1 target column")),
        (["explain", "--data", "iris", "--layers", "4,2"], ("--layers 4,2 has 2 outputs", "iris has 3 target columns")),
    ],
)
def test_layers_that_do_not_fit_the_data(capsys, argv: list[str], fragments: tuple[str, ...]) -> None:
    assert_bad_input(capsys, argv, *fragments)


def test_layers_that_do_not_fit_a_csv(capsys, good_csv: str) -> None:
    assert_bad_input(
        capsys,
        ["train", "--data", good_csv, "--target", "score", "--layers", "3,3,1"],
        "3 inputs",
        f"{good_csv} has 2 input columns (sleep, study)",
    )


def test_unknown_target_column(capsys, good_csv: str) -> None:
    assert_bad_input(
        capsys, ["train", "--data", good_csv, "--target", "grade"], good_csv, "no column named 'grade'", "'score'"
    )


def test_target_option_with_builtin_data(capsys) -> None:
    assert_bad_input(capsys, ["train", "--data", "sleep", "--target", "score"], "--target", "CSV files")


def test_negative_targets(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "neg.csv", "x,y\n1,0.5\n2,-3\n")
    assert_bad_input(capsys, ["train", "--data", path], f"{path}:3:", "'y'", "negative value -3")


def test_one_hot_needs_whole_numbers(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "labels.csv", "x,label\n1,0\n2,1.5\n")
    assert_bad_input(capsys, ["train", "--data", path, "--one-hot"], f"{path}:3:", "'label'", "whole-number")


def test_one_hot_test_file_with_an_unseen_class(capsys, tmp_path: Path) -> None:
    train = write(tmp_path / "train.csv", "x,label\n1,0\n2,1\n")
    test = write(tmp_path / "test.csv", "x,label\n1,0\n2,2\n")
    assert_bad_input(capsys, ["train", "--data", train, "--one-hot", "--test", test], f"{test}:3:", "class 2")


def test_test_file_with_other_columns(capsys, tmp_path: Path, good_csv: str) -> None:
    test = write(tmp_path / "test.csv", "sleep,exercise,score\n4,5.5,70\n")
    assert_bad_input(capsys, ["train", "--data", good_csv, "--test", test], test, "no column named 'study'")


def test_test_split_leaving_no_training_rows(capsys) -> None:
    assert_bad_input(
        capsys, ["train", "--data", "sleep", "--test-split", "0.9"], "--test-split 0.9 of 3 rows", "no training rows"
    )


def test_predict_data_without_the_model_inputs(capsys, tmp_path: Path, model: str) -> None:
    inputs = write(tmp_path / "inputs.csv", "sleep,exercise\n3,5\n")
    assert_bad_input(
        capsys,
        ["predict", "--model", model, "--data", inputs],
        f"{inputs}:1: no column named 'study' (the columns are 'sleep', 'exercise')",
        "takes as input: sleep, study",
    )


def test_predict_checks_the_columns_it_uses_and_every_row_length(capsys, tmp_path: Path, model: str) -> None:
    bad_input = write(tmp_path / "bad.csv", "name,sleep,study\nalice,3,5\nbob,4,x\n")
    assert_bad_input(
        capsys, ["predict", "--model", model, "--data", bad_input], f"{bad_input}:3: column 'study'", "'x'"
    )
    short_row = write(tmp_path / "short.csv", "name,sleep,study\nalice,3,5\nbob,4\n")
    assert_bad_input(capsys, ["predict", "--model", model, "--data", short_row], f"{short_row}:3: line 3 has 2 fields")


def test_predict_unscaled_with_wrong_column_count(capsys, tmp_path: Path) -> None:
    model = str(save_model(NeuralNetwork(seed=0), tmp_path / "plain.npz"))
    inputs = write(tmp_path / "inputs.csv", "a,b,c\n1,2,3\n")
    argv = ["predict", "--model", model, "--data", inputs, "--unscaled"]
    assert_bad_input(capsys, argv, f"{inputs} has 3 columns", "takes 2 inputs")


def test_predict_refuses_a_model_without_its_preprocessing(capsys, tmp_path: Path, good_csv: str) -> None:
    """A model whose column names and scaling are missing would give wrong numbers on raw data: refused."""
    model = str(save_model(NeuralNetwork(seed=0), tmp_path / "plain.npz"))
    line = assert_bad_input(capsys, ["predict", "--model", model, "--data", good_csv], model, "holds no preprocessing")
    assert "train --save" in line and "--unscaled" in line


def test_predict_refuses_unscaled_for_a_model_with_preprocessing(capsys, model: str, good_csv: str) -> None:
    assert_bad_input(
        capsys, ["predict", "--model", model, "--data", good_csv, "--unscaled"], "--unscaled is for models without"
    )


# --------------------------------------------------------------------------- model files that are not ours


def test_model_file_that_is_text(capsys, tmp_path: Path, good_csv: str) -> None:
    path = write(tmp_path / "model.npz", "not a model\n")
    assert_bad_input(capsys, ["predict", "--model", path, "--data", good_csv], path, "not a tinygrad-nnd model file")


def test_model_file_that_is_another_npz(capsys, tmp_path: Path, good_csv: str) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    assert_bad_input(
        capsys,
        ["predict", "--model", str(path), "--data", good_csv],
        str(path),
        "not a tinygrad-nnd model file",
        "format marker",
    )


def test_model_file_with_pickled_objects_is_refused(capsys, tmp_path: Path, good_csv: str) -> None:
    path = tmp_path / "pickled.npz"
    np.savez(path, format=np.array("tinygrad_nnd.NeuralNetwork"), W_1=np.array([{"a": 1}], dtype=object))
    assert_bad_input(
        capsys, ["predict", "--model", str(path), "--data", good_csv], str(path), "not a tinygrad-nnd model file"
    )


def sidecar(**fields: object) -> str:
    """The preprocessing file of the ``model`` fixture (sleep, study -> score), with ``fields`` replaced."""
    content = {
        "format": "tinygrad_nnd.cli.preprocessing",
        "version": 1,
        "inputs": ["sleep", "study"],
        "input_scale": [1, 1],
        "targets": ["score"],
        "target_scale": [1],
    }
    return json.dumps({**content, **fields})


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "cannot read the model's preprocessing"),
        (json.dumps({"format": "something else"}), "not a tinygrad-nnd preprocessing file"),
        (sidecar(inputs=["a"]), "'inputs' must be a list of 2 column names"),
        (sidecar(inputs=["sleep", "sleep"]), "'inputs' names the column 'sleep' more than once"),
        (sidecar(targets=[]), "'targets' must be a list of 1 column names"),
        (sidecar(input_scale=[1, 10**400]), "'input_scale' must be a list of 2 finite numbers > 0"),
        (sidecar(input_scale=[1, "1"]), "'input_scale' must be a list of 2 finite numbers > 0"),
        (sidecar(input_scale=[1, True]), "'input_scale' must be a list of 2 finite numbers > 0"),
        (sidecar(target_scale=[-1]), "'target_scale' must be a list of 1 finite numbers > 0"),
        (sidecar(target_scale=[1e308 * 10]), "'target_scale' must be a list of 1 finite numbers > 0"),
        # More digits than Python turns into an int (a ValueError from json.loads):
        (sidecar().replace('"input_scale": [1, 1]', '"input_scale": [1, 1' + "0" * 5000 + "]"), "cannot read"),
    ],
    ids=[
        "not-json",
        "other-format",
        "too-few-inputs",
        "repeated-input",
        "no-targets",
        "scale-too-large-for-a-float",
        "scale-as-text",
        "scale-as-bool",
        "negative-scale",
        "infinite-scale",
        "integer-of-5000-digits",
    ],
)
@pytest.mark.parametrize("where", ["in the model file", "in an older model's separate file"])
def test_broken_preprocessing(capsys, model: str, good_csv: str, content: str, fragment: str, where: str) -> None:
    if where == "in the model file":
        replace_preprocessing(model, content)
        named = model
    else:
        replace_preprocessing(model, None)
        Path(f"{model}.preprocessing.json").write_text(content)
        named = "preprocessing.json"
    line = assert_bad_input(capsys, ["predict", "--model", model, "--data", good_csv], named, fragment)
    assert line.startswith(f"tinygrad-nnd: error: {model}")  # the model, or its .preprocessing.json


def replace_preprocessing(model: str, content: str | None) -> None:
    """Rewrite the model file with another preprocessing entry (None: without one, as older models were)."""
    with np.load(model) as archive:
        arrays = {name: archive[name] for name in archive.files if name != "preprocessing"}
    if content is not None:
        arrays["preprocessing"] = np.array(content)
    with open(model, "wb") as file:
        np.savez(file, **arrays)


def test_older_model_with_a_separate_preprocessing_file_is_read_with_a_note(capsys, model: str, good_csv: str) -> None:
    with np.load(model) as archive:
        content = str(archive["preprocessing"])
    assert main(["predict", "--model", model, "--data", good_csv]) == 0
    expected = capsys.readouterr().out
    replace_preprocessing(model, None)
    Path(f"{model}.preprocessing.json").write_text(content)
    assert main(["predict", "--model", model, "--data", good_csv]) == 0
    captured = capsys.readouterr()
    assert captured.out == expected
    assert (
        captured.err.startswith("tinygrad-nnd: note: read the preprocessing of") and len(captured.err.splitlines()) == 1
    )


def test_preprocessing_nested_100000_levels_deep(capsys, model: str, good_csv: str) -> None:
    """json.loads raises RecursionError for deep nesting: one line, not a traceback."""
    replace_preprocessing(model, "[" * 100_000 + "]" * 100_000)
    assert_bad_input(capsys, ["predict", "--model", model, "--data", good_csv], model, "nested too deeply")


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["train", "--method", "newton"], ("argument --method", "unknown method 'newton'", "BFGS")),
        (
            ["train", "--layers", "2,x,1"],
            (
                "argument --layers",
                "'2,x,1'",
            ),
        ),
        (["train", "--layers", "2"], ("argument --layers", "inputs and outputs")),
        (["train", "--layers", "2,0,1"], ("argument --layers", "at least one unit")),
        (["train", "--lambda", "-1"], ("argument --lambda", "from 0 to 1e6")),
        (["train", "--maxiter", "0"], ("argument --maxiter", "at least 1")),
        (["train", "--seed", "-1"], ("argument --seed", "must be at least 0")),
        (["demo", "--seed", "x"], ("argument --seed", "not a whole number")),
        (["train", "--test-split", "1.5"], ("argument --test-split", "between 0 and 1")),
        (["train", "--test-split", "0.2", "--test", "t.csv"], ("not allowed with argument",)),
        (["train", "--target", "a,a"], ("argument --target", "twice")),
        (["graph", "--format", "gif"], ("argument --format", "invalid choice")),
        (["frobnicate"], ("invalid choice", "frobnicate")),
        ([], ("required", "COMMAND")),
        (["predict", "--data", "x.csv"], ("required", "--model")),
        (["train", "--no-such-option"], ("unrecognized arguments", "--no-such-option")),
        (["train", "--save", ""], ("argument --save", "the path is empty")),
        (["train", "--data", ""], ("argument --data", "the path is empty")),
        (["train", "--test", ""], ("argument --test", "the path is empty")),
        (["predict", "--model", "", "--data", "x.csv"], ("argument --model", "the path is empty")),
        (["predict", "--model", "m.npz", "--data", ""], ("argument --data", "the path is empty")),
        (["graph", "--out", ""], ("argument --out", "the path is empty")),
        (["demo", "--out", ""], ("argument --out", "the path is empty")),
        (["gradcheck", "--data", ""], ("argument --data", "the path is empty")),
    ],
)
def test_usage_errors(capsys, argv: list[str], fragments: tuple[str, ...]) -> None:
    assert_bad_input(capsys, argv, *fragments)


def test_graph_image_needs_out(capsys) -> None:
    assert_bad_input(capsys, ["graph", "--format", "png"], "--format png", "--out FILE")


def test_graph_image_without_graphviz_says_how_to_get_it(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda name, *args, **kwargs: None)
    out = tmp_path / "graph.svg"
    assert_bad_input(capsys, ["graph", "--format", "svg", "--out", str(out)], "Graphviz", "install")
    assert not out.exists()


def test_demo_out_is_a_file(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "file", "")
    assert_bad_input(capsys, ["demo", "--out", path], f"--out {path} is a file")


def test_existing_graph_output_is_kept(capsys, tmp_path: Path) -> None:
    out = write(tmp_path / "graph.txt", "mine")
    assert_bad_input(capsys, ["graph", "--out", out], f"{out} already exists", "--force")
    assert Path(out).read_text() == "mine"


def test_save_writes_one_file_and_leaves_an_older_preprocessing_file_alone(
    capsys, tmp_path: Path, good_csv: str
) -> None:
    model = tmp_path / "m.npz"
    sidecar = write(tmp_path / "m.npz.preprocessing.json", "mine")
    assert main(["train", "--data", good_csv, "--quiet", "--save", str(model)]) == 0
    assert Path(sidecar).read_text() == "mine"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["good.csv", "m.npz", "m.npz.preprocessing.json"]


@pytest.mark.parametrize("below", ["m.npz", "sub/m.npz"])
def test_save_below_a_file_is_refused_before_training(capsys, tmp_path: Path, good_csv: str, below: str) -> None:
    blocker = write(tmp_path / "blocker", "")
    code = main(["train", "--data", good_csv, "--save", f"{blocker}/{below}"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""  # nothing loaded or trained
    assert captured.err == f"tinygrad-nnd: error: cannot write {blocker}/{below}: {blocker} is a file, not a folder\n"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize(("command", "option"), [("train", "--save"), ("graph", "--out")])
def test_folder_without_room_for_files_is_refused_before_work(capsys, command: str, option: str) -> None:
    code = main([command, option, "/proc/m.npz"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith(
        "tinygrad-nnd: error: cannot write /proc/m.npz: cannot create files in the folder /proc"
    )
    assert ".tmp" not in captured.err and len(captured.err.splitlines()) == 1


def test_save_failing_after_training_names_the_model_not_a_temporary_file(
    capsys, tmp_path: Path, good_csv: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / ".m.npz.3r_y33w9.tmp"))

    monkeypatch.setattr("tinygrad_nnd.cli.train.save_model", refused)
    model = tmp_path / "m.npz"
    line = assert_bad_input(capsys, ["train", "--data", good_csv, "--quiet", "--save", str(model)])
    assert line == f"tinygrad-nnd: error: cannot write {model}: Permission denied"


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_save_never_overwrites_the_data_or_test_file(capsys, tmp_path: Path, good_csv: str, force: list[str]) -> None:
    test = write(tmp_path / "test.csv", GOOD_CSV)
    for argv, option, victim in [
        (["--save", good_csv], "--data", good_csv),
        (["--save", str(tmp_path / "sub" / ".." / "good.csv")], "--data", good_csv),
        (["--test", test, "--save", test], "--test", test),
    ]:
        assert_bad_input(
            capsys,
            ["train", "--data", good_csv, "--quiet", *argv, *force],
            f"would overwrite the {option} file {victim}",
        )
        assert Path(victim).read_text() == GOOD_CSV


def test_interrupt_exits_130(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("tinygrad_nnd.cli.train.run", interrupted)
    assert main(["train"]) == 130
    captured = capsys.readouterr()
    assert "interrupted" in captured.err and "Traceback" not in captured.err
