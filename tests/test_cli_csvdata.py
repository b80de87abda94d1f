"""The pieces under the command line: the CSV reader, data sets and scaling, option values."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nnd.cli.data import (
    Preprocessing,
    accuracy,
    fit_scaling,
    load_dataset,
    sidecar_path,
    split_dataset,
)
from tinygrad_nnd.cli.options import (
    parse_fraction,
    parse_lambda,
    parse_layers,
    parse_method,
    parse_path,
    parse_targets,
)
from tinygrad_nnd.csvdata import CSVDataError, MissingColumnError, read_csv


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


# --------------------------------------------------------------------------- read_csv


def test_reads_header_values_and_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, '# a comment\n\na , b\n 1, 2.5 \n\n"3",-4e-1\n')
    table = read_csv(path)
    assert table.columns == ("a", "b")
    assert table.values.tolist() == [[1.0, 2.5], [3.0, -0.4]]
    assert table.lines == (4, 6)
    assert table.n_rows == 2 and table.values.dtype == np.float64


def test_windows_line_endings_and_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffx,y\r\n1,2\r\n3,4\r\n".encode("utf-8"))
    table = read_csv(path)
    assert table.columns == ("x", "y") and table.values.tolist() == [[1, 2], [3, 4]]


def test_select_and_unknown_column(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "a,b,c\n1,2,3\n"))
    assert table.select(["c", "a"]).tolist() == [[3.0, 1.0]]
    with pytest.raises(CSVDataError, match=r"no column named 'z' \(the columns are 'a', 'b', 'c'\)"):
        table.select(["z"])


def test_errors_carry_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n3,x\n")
    with pytest.raises(CSVDataError) as caught:
        read_csv(path)
    assert (caught.value.path, caught.value.line) == (path, 3)
    assert str(caught.value) == f"{path}:3: column 'b': cannot read 'x' as a number"
    assert isinstance(caught.value, ValueError)


def test_record_spanning_lines_is_reported_at_its_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b\n"1\n",oops\n')
    with pytest.raises(CSVDataError, match=r":2: column 'b': cannot read 'oops'"):
        read_csv(path)


def test_columns_reads_only_the_named_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "name,b,score,a\nalice,2,,1\nbob,4,x,3\n")
    table = read_csv(path, columns=["a", "b"])
    assert table.columns == ("a", "b")
    assert table.values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert table.lines == (2, 3)
    with pytest.raises(CSVDataError, match="column 'name': cannot read 'alice'"):
        read_csv(path)  # without columns, every column is a number, as before


def test_columns_still_checks_every_row_and_the_named_values(tmp_path: Path) -> None:
    short_row = write(tmp_path, "name,a\nalice,1\nbob\n", "short.csv")
    with pytest.raises(CSVDataError, match=r"short.csv:3: line 3 has 1 field, expected 2"):
        read_csv(short_row, columns=["a"])
    bad_value = write(tmp_path, "name,a\nalice,1\nbob,two\n", "bad.csv")
    with pytest.raises(CSVDataError, match=r"bad.csv:3: column 'a': cannot read 'two'"):
        read_csv(bad_value, columns=["a"])


def test_columns_names_a_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "# notes\nname,a\nalice,1\n")
    with pytest.raises(MissingColumnError) as caught:
        read_csv(path, columns=["a", "b", "c"])
    assert str(caught.value) == f"{path}:2: no column named 'b', 'c' (the columns are 'name', 'a')"
    assert isinstance(caught.value, CSVDataError)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "a;b;y\n1;2;3\n",
            ":2: column 'a;b;y': cannot read '1;2;3' as a number (is the file separated by ';' instead of commas?)",
        ),
        (
            "a\tb\n1\t2\n",
            ":2: column 'a\\tb': cannot read '1\\t2' as a number (is the file separated by tabs instead of commas?)",
        ),
        (
            "a;b\n1,2\n",
            ":2: line 2 has 2 fields, expected 1 (one per header column: a;b) (is the file separated by ';'",
        ),
    ],
)
def test_a_single_column_header_with_another_separator_gets_a_hint(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(CSVDataError) as caught:
        read_csv(write(tmp_path, text))
    assert fragment in str(caught.value)


def test_no_separator_hint_for_an_ordinary_header(tmp_path: Path) -> None:
    with pytest.raises(CSVDataError) as caught:
        read_csv(write(tmp_path, "a,b\n1,x;y\n"))
    assert "separated" not in str(caught.value)


def test_a_field_over_the_csv_limit_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n3," + "9" * (csv.field_size_limit() + 1) + "\n")
    with pytest.raises(CSVDataError, match=r"data.csv:3: is not valid CSV: field larger than field limit") as caught:
        read_csv(path)
    assert caught.value.line == 3


# --------------------------------------------------------------------------- data sets


def test_builtin_sleep_is_the_series_data() -> None:
    data = load_dataset("sleep")
    scaling = fit_scaling(data)
    assert scaling.inputs(data.X).tolist() == [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]]
    assert scaling.targets(data.y).ravel().tolist() == [0.75, 0.82, 0.93]
    assert not data.is_classification


def test_builtin_iris_is_one_hot() -> None:
    data = load_dataset("iris")
    assert data.X.shape == (150, 4) and data.y.shape == (150, 3)
    assert data.is_classification
    assert fit_scaling(data).target_scale.tolist() == [1.0, 1.0, 1.0]


def test_csv_scaling_uses_training_maxima_only(tmp_path: Path) -> None:
    data = load_dataset(str(write(tmp_path, "x,z,y\n-4,0,2\n2,0,8\n1,0,4\n")))
    training, test = split_dataset(data, 1 / 3, seed=0)
    scaling = fit_scaling(training)
    assert scaling.input_scale.tolist() == [np.abs(training.X[:, 0]).max(), 1.0]  # a column of zeros: 1
    assert scaling.target_scale.tolist() == [training.y.max()]
    assert test.n_rows == 1 and training.n_rows == 2


def test_split_is_a_deterministic_partition() -> None:
    data = load_dataset("iris")
    training, test = split_dataset(data, 0.2, seed=5)
    again, _ = split_dataset(data, 0.2, seed=5)
    other, _ = split_dataset(data, 0.2, seed=6)
    assert training.n_rows == 120 and test.n_rows == 30
    np.testing.assert_array_equal(training.X, again.X)
    assert not np.array_equal(training.X, other.X)
    rows = {tuple(r) for r in np.hstack([data.X, data.y])}
    parts = [tuple(r) for part in (training, test) for r in np.hstack([part.X, part.y])]
    assert len(parts) == 150 and set(parts) <= rows


def test_one_hot_csv(tmp_path: Path) -> None:
    data = load_dataset(str(write(tmp_path, "x,label\n1,2\n2,0\n3,2\n")), one_hot=True)
    assert data.target_names == ("label=0", "label=2") and data.classes == (0.0, 2.0)
    assert data.y.tolist() == [[0, 1], [1, 0], [0, 1]] and data.is_classification


def test_accuracy() -> None:
    assert accuracy(np.array([[0.9, 0.1], [0.2, 0.7]]), np.array([[1.0, 0.0], [1.0, 0.0]])) == 0.5
    assert accuracy(np.array([[0.7], [0.2]]), np.array([[1.0], [0.0]])) == 1.0


def test_preprocessing_round_trip(tmp_path: Path) -> None:
    data = load_dataset("sleep")
    original = Preprocessing(data.input_names, data.target_names, fit_scaling(data))
    path = sidecar_path(tmp_path / "m.npz")
    assert path.name == "m.npz.preprocessing.json"
    path.write_text(original.to_json())
    read = Preprocessing.read(path, 2, 1)
    assert read.input_names == original.input_names and read.target_names == original.target_names
    assert read.scaling.input_scale.tolist() == [10.0, 5.0] and read.scaling.target_scale.tolist() == [100.0]


# --------------------------------------------------------------------------- option values


def test_option_values() -> None:
    assert parse_layers(" 4, 5 ,3") == (4, 5, 3)
    assert parse_method("TRUST-NCG") == "trust-ncg"
    assert parse_fraction("0.25") == 0.25
    assert parse_lambda("1e-4") == 1e-4
    assert parse_targets("a, b") == ("a", "b")
    assert parse_path("models/m.npz") == "models/m.npz"
    for parse, text in [
        (parse_fraction, "0"),
        (parse_lambda, "nan"),
        (parse_lambda, "inf"),
        (parse_targets, "a,"),
        (parse_path, ""),
    ]:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)
