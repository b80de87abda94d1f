"""Tests for tinygrad_nnd.datasets: the series' data, the packaged iris CSV, label helpers."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import datasets
from tinygrad_nnd.datasets import (
    iris,
    iris_class_names,
    iris_feature_names,
    iris_seed_subset,
    labels_from_one_hot,
    one_hot,
    sleep_study,
    sleep_study_part7,
)

# ----------------------------------------------------------------------------- sleep/study


def test_sleep_study_normalized_matches_reference() -> None:
    X, y = sleep_study()
    # The reference figures: X / X.max(axis=0) == [[.3, 1], [.5, .2], [1, .4]]; y / 100.
    np.testing.assert_array_equal(X, [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]])
    np.testing.assert_array_equal(y, [[0.75], [0.82], [0.93]])
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.shape == (3, 2) and y.shape == (3, 1)


def test_sleep_study_raw_matches_reference() -> None:
    X, y = sleep_study(normalize=False)
    np.testing.assert_array_equal(X, [[3, 5], [5, 1], [10, 2]])
    np.testing.assert_array_equal(y, [[75], [82], [93]])
    assert X.dtype == np.float64 and y.dtype == np.float64


def test_sleep_study_normalized_is_raw_scaled_like_the_seed() -> None:
    X_raw, y_raw = sleep_study(normalize=False)
    X, y = sleep_study()
    np.testing.assert_array_equal(X, X_raw / np.amax(X_raw, axis=0))
    np.testing.assert_array_equal(y, y_raw / 100)
    assert X.max() == 1.0 and y.max() < 1.0


@pytest.mark.parametrize("normalize", [True, False])
def test_sleep_study_returns_fresh_arrays(normalize: bool) -> None:
    X, y = sleep_study(normalize)
    expected_X, expected_y = X.copy(), y.copy()
    X[:] = -1.0
    y[:] = -1.0
    X2, y2 = sleep_study(normalize)
    np.testing.assert_array_equal(X2, expected_X)
    np.testing.assert_array_equal(y2, expected_y)


# ----------------------------------------------------------------------------- part VII


def test_part7_raw_values() -> None:
    X_train, y_train, X_test, y_test = sleep_study_part7(normalize=False)
    np.testing.assert_array_equal(X_train, [[3, 5], [5, 1], [10, 2], [6, 1.5]])
    np.testing.assert_array_equal(y_train, [[75], [82], [93], [70]])
    np.testing.assert_array_equal(X_test, [[4, 5.5], [4.5, 1], [9, 2.5], [6, 2]])
    np.testing.assert_array_equal(y_test, [[70], [89], [85], [75]])


def test_part7_shapes_and_dtypes() -> None:
    arrays = sleep_study_part7()
    assert [a.shape for a in arrays] == [(4, 2), (4, 1), (4, 2), (4, 1)]
    assert all(a.dtype == np.float64 for a in arrays)


def test_part7_training_set_extends_parts_1_to_6() -> None:
    X_train, y_train, _, _ = sleep_study_part7(normalize=False)
    X, y = sleep_study(normalize=False)
    np.testing.assert_array_equal(X_train[:3], X)
    np.testing.assert_array_equal(y_train[:3], y)
    np.testing.assert_array_equal(X_train[3], [6, 1.5])
    np.testing.assert_array_equal(y_train[3], [70])


def test_part7_test_set_normalized_by_training_maxima() -> None:
    X_train, y_train, X_test, y_test = sleep_study_part7()
    # Training maxima are [10, 5] (the new point does not change them).
    np.testing.assert_array_equal(X_test[0], [4 / 10, 5.5 / 5])
    np.testing.assert_array_equal(X_test, np.array([[4, 5.5], [4.5, 1], [9, 2.5], [6, 2]]) / [10, 5])
    np.testing.assert_array_equal(X_train, np.array([[3, 5], [5, 1], [10, 2], [6, 1.5]]) / [10, 5])
    np.testing.assert_array_equal(y_train, [[0.75], [0.82], [0.93], [0.70]])
    np.testing.assert_array_equal(y_test, [[0.70], [0.89], [0.85], [0.75]])
    # Not the original bug (test inputs left in raw hours) ...
    assert X_test.max() < 2.0
    # ... and not scaled by the test set's own maxima ([9, 5.5]).
    assert not np.allclose(X_test, np.array([[4, 5.5], [4.5, 1], [9, 2.5], [6, 2]]) / [9, 5.5])
    # 5.5 hours of study lies beyond the training range.
    assert X_test[0, 1] == pytest.approx(1.1)


def test_part7_docstring_mentions_the_original_bug() -> None:
    doc = sleep_study_part7.__doc__ or ""
    assert "bug" in doc and "already" in doc


@pytest.mark.parametrize("normalize", [True, False])
def test_part7_returns_fresh_arrays(normalize: bool) -> None:
    first = sleep_study_part7(normalize)
    saved = [a.copy() for a in first]
    for a in first:
        a *= 0.0
    for a, b in zip(sleep_study_part7(normalize), saved):
        np.testing.assert_array_equal(a, b)
    # The parts I-VI data is independent of part VII's arrays too.
    np.testing.assert_array_equal(sleep_study(normalize)[0], saved[0][:3])


# ----------------------------------------------------------------------------- iris


def test_iris_shape_and_dtype() -> None:
    X, labels = iris()
    assert X.shape == (150, 4) and X.dtype == np.float64
    assert labels.shape == (150,) and np.issubdtype(labels.dtype, np.integer)
    assert np.all(np.isfinite(X)) and np.all(X > 0)


def test_iris_classes_in_standard_order() -> None:
    _, labels = iris()
    assert np.bincount(labels).tolist() == [50, 50, 50]
    np.testing.assert_array_equal(labels, np.repeat([0, 1, 2], 50))


def test_iris_known_rows() -> None:
    X, labels = iris()
    np.testing.assert_array_equal(X[0], [5.1, 3.5, 1.4, 0.2])
    np.testing.assert_array_equal(X[-1], [5.9, 3.0, 5.1, 1.8])
    np.testing.assert_array_equal(X[50], [7.0, 3.2, 4.7, 1.4])  # first versicolor
    np.testing.assert_array_equal(X[100], [6.3, 3.3, 6.0, 2.5])  # first virginica
    assert labels[0] == 0 and labels[-1] == 2


def test_iris_is_fishers_not_ucis_erratum_rows() -> None:
    # The UCI file has [4.9, 3.1, 1.5, 0.1] for both samples 35 and 38; Fisher's paper
    # (and scikit-learn, which the CSV was dumped from) has these.
    X, _ = iris()
    np.testing.assert_array_equal(X[34], [4.9, 3.1, 1.5, 0.2])
    np.testing.assert_array_equal(X[37], [4.9, 3.6, 1.4, 0.1])


def test_iris_well_known_statistics() -> None:
    X, labels = iris()
    np.testing.assert_allclose(X.mean(axis=0), [5.843, 3.057, 3.758, 1.199], atol=5e-4)
    np.testing.assert_allclose(X.min(axis=0), [4.3, 2.0, 1.0, 0.1])
    np.testing.assert_allclose(X.max(axis=0), [7.9, 4.4, 6.9, 2.5])
    # Setosa petals are all shorter than any other species' petals.
    assert X[labels == 0, 2].max() < X[labels != 0, 2].min()


def test_iris_returns_fresh_writable_arrays() -> None:
    X, labels = iris()
    assert X.flags.writeable and labels.flags.writeable
    X[:] = 0.0
    labels[:] = 7
    X2, labels2 = iris()
    np.testing.assert_array_equal(X2[0], [5.1, 3.5, 1.4, 0.2])
    assert np.bincount(labels2).tolist() == [50, 50, 50]


def test_iris_names() -> None:
    assert isinstance(iris_feature_names, tuple) and isinstance(iris_class_names, tuple)
    assert iris_feature_names == (
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    )
    assert iris_class_names == ("setosa", "versicolor", "virginica")


def test_iris_csv_is_package_data_with_source_note() -> None:
    text = resources.files("tinygrad_nnd.datasets").joinpath("iris.csv").read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    note = " ".join(comments)
    assert "Fisher" in note and "1936" in note and "ublic domain" in note
    data_lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert data_lines[0].split(",")[-1] == "label"
    assert len(data_lines) == 151


def test_iris_seed_subset_values() -> None:
    X, y = iris_seed_subset()
    np.testing.assert_array_equal(X, [[5.1, 3.5], [4.9, 3.0], [4.7, 3.2]])
    np.testing.assert_array_equal(y, [[0.0], [0.0], [0.0]])
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.shape == (3, 2) and y.shape == (3, 1)
    full, _ = iris()
    np.testing.assert_array_equal(X, full[:3, :2])
    X[:] = 0.0
    np.testing.assert_array_equal(iris_seed_subset()[0][0], [5.1, 3.5])


# ----------------------------------------------------------------------------- one_hot

_labels = hnp.arrays(
    dtype=st.sampled_from([np.int8, np.int32, np.int64, np.uint8]),
    shape=st.integers(0, 40),
    elements=st.integers(0, 9),
)


@given(labels=_labels)
def test_one_hot_round_trip(labels: np.ndarray) -> None:
    encoded = one_hot(labels)
    k = int(labels.max()) + 1 if labels.size else 0
    assert encoded.shape == (labels.size, k) and encoded.dtype == np.float64
    np.testing.assert_array_equal(encoded.sum(axis=1), np.ones(labels.size))
    assert set(np.unique(encoded)) <= {0.0, 1.0}
    if labels.size:  # argmax of an (0, 0) array is undefined
        np.testing.assert_array_equal(np.argmax(encoded, axis=1), labels)
        np.testing.assert_array_equal(labels_from_one_hot(encoded), labels)


@given(labels=_labels, extra=st.integers(0, 5))
def test_one_hot_with_n_classes(labels: np.ndarray, extra: int) -> None:
    k = (int(labels.max()) + 1 if labels.size else 0) + extra
    encoded = one_hot(labels, n_classes=k)
    assert encoded.shape == (labels.size, k)
    np.testing.assert_array_equal(encoded.sum(axis=1), np.ones(labels.size))
    if extra:
        # Classes beyond the largest label get all-zero columns.
        assert not encoded[:, k - extra :].any()


def test_one_hot_iris_labels() -> None:
    _, labels = iris()
    encoded = one_hot(labels)
    assert encoded.shape == (150, 3)
    np.testing.assert_array_equal(encoded.sum(axis=0), [50, 50, 50])
    np.testing.assert_array_equal(encoded[0], [1, 0, 0])
    np.testing.assert_array_equal(encoded[-1], [0, 0, 1])


def test_one_hot_accepts_whole_float_column() -> None:
    _, y = iris_seed_subset()
    np.testing.assert_array_equal(one_hot(y, n_classes=3), [[1, 0, 0]] * 3)


@pytest.mark.parametrize(
    "labels",
    [[0.5, 1.0], [0, np.nan], [0, np.inf], ["a", "b"], [True, False]],
    ids=["fraction", "nan", "inf", "strings", "bools"],
)
def test_one_hot_rejects_non_integer_labels(labels: list) -> None:
    with pytest.raises(ValueError, match="integer"):
        one_hot(labels)


def test_one_hot_rejects_negative_labels() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        one_hot([0, -1, 2])


@pytest.mark.parametrize("labels, k", [([0, 3], 3), ([5], 5), ([0], 0)])
def test_one_hot_rejects_labels_out_of_range(labels: list, k: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        one_hot(labels, n_classes=k)


@pytest.mark.parametrize("k", [-1, 2.0, True])
def test_one_hot_rejects_bad_n_classes(k: object) -> None:
    with pytest.raises(ValueError, match="n_classes"):
        one_hot([0, 1], n_classes=k)  # type: ignore[arg-type]


def test_one_hot_rejects_non_vector_labels() -> None:
    with pytest.raises(ValueError, match="1-D"):
        one_hot([[0, 1], [1, 0]])


def test_labels_from_one_hot_argmax_and_errors() -> None:
    assert labels_from_one_hot([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]]).tolist() == [1, 0]
    with pytest.raises(ValueError, match="2-D"):
        labels_from_one_hot([0, 1, 0])
    with pytest.raises(ValueError, match="2-D"):
        labels_from_one_hot(np.zeros((3, 0)))


def test_module_exports() -> None:
    for name in datasets.__all__:
        assert hasattr(datasets, name), name
    assert datasets.__doc__ and "sleep" in datasets.__doc__ and "iris" in datasets.__doc__
