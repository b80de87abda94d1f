"""Small data sets for the "Neural Networks Demystified" network, plus label helpers.

The series tells one story: a student wants to predict a **test score** from the
**hours of sleep** and **hours of study** before the test. A 2-3-1 sigmoid network
learns that mapping from a handful of examples.

Data sets
---------
:func:`sleep_study`
    The three examples of parts I-VI: ``X = [[3, 5], [5, 1], [10, 2]]`` (hours of
    sleep, hours of study) and ``y = [[75], [82], [93]]`` (score out of 100). By
    default the inputs are scaled by their column maxima and the scores by 100, as in
    the seed notebook, so everything lies in ``[0, 1]`` like the sigmoid output.
:func:`sleep_study_part7`
    Part VII (overfitting, testing and regularization) adds a fourth training example,
    ``[6, 1.5] -> 70``, and a separate test set of four examples. The test inputs are
    scaled by the *training* set's maxima.
:func:`iris`
    Fisher's (1936) iris measurements, public domain: 150 flowers, 4 features in cm
    (:data:`iris_feature_names`), 3 species (:data:`iris_class_names`), 50 of each, in the
    standard order. Shipped with the package as ``iris.csv`` (a verbatim dump of what
    scikit-learn's ``load_iris`` ships, which agrees with Fisher's paper); read with
    :mod:`importlib.resources` and NumPy, with no download and no extra dependency.
:func:`iris_seed_subset`
    The tiny iris slice the seed notebook trains on: the first 3 flowers, the first 2
    features (sepal length and width), targets as a float column (all class 0).

Helpers
-------
:func:`one_hot` turns integer labels into one-hot rows; :func:`labels_from_one_hot`
turns one-hot (or score) rows back into labels with an argmax.

All functions return fresh arrays: mutating a result never affects a later call.

Examples
--------
>>> from tinygrad_nnd.datasets import sleep_study, iris, one_hot
>>> X, y = sleep_study()
>>> X.tolist(), y.ravel().tolist()
([[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]], [0.75, 0.82, 0.93])
>>> features, labels = iris()
>>> features.shape, one_hot(labels).shape
((150, 4), (150, 3))
"""

from __future__ import annotations

import functools
import io
from importlib import resources
from typing import Final

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "MAX_SCORE",
    "iris",
    "iris_class_names",
    "iris_feature_names",
    "iris_seed_subset",
    "labels_from_one_hot",
    "one_hot",
    "sleep_study",
    "sleep_study_part7",
]

# --------------------------------------------------------------------------- sleep/study

#: Raw inputs of parts I-VI: (hours of sleep, hours of study).
_SLEEP_STUDY_X: Final = ((3.0, 5.0), (5.0, 1.0), (10.0, 2.0))
#: Raw test scores of parts I-VI (out of 100).
_SLEEP_STUDY_Y: Final = ((75.0,), (82.0,), (93.0,))
#: Part VII's extra training example and its score.
_PART7_EXTRA_X: Final = ((6.0, 1.5),)
_PART7_EXTRA_Y: Final = ((70.0,),)
#: Part VII's test set.
_PART7_TEST_X: Final = ((4.0, 5.5), (4.5, 1.0), (9.0, 2.5), (6.0, 2.0))
_PART7_TEST_Y: Final = ((70.0,), (89.0,), (85.0,), (75.0,))
#: The maximum test score of the sleep/study data, by which the scores are scaled into [0, 1].
MAX_SCORE: Final = 100.0


def sleep_study(normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The three-example sleep/study -> test score data of parts I-VI.

    Parameters
    ----------
    normalize : bool, default True
        If true, divide each input column by its maximum (``X / X.max(axis=0)``) and
        the scores by 100, as the seed notebook does. If false, return hours and scores.

    Returns
    -------
    X : numpy.ndarray, shape (3, 2), float64
        Hours of sleep and hours of study, one row per student:
        ``[[3, 5], [5, 1], [10, 2]]`` raw, ``[[.3, 1], [.5, .2], [1, .4]]`` normalized.
    y : numpy.ndarray, shape (3, 1), float64
        Test scores ``[[75], [82], [93]]`` raw, ``[[.75], [.82], [.93]]`` normalized.

    Examples
    --------
    >>> X, y = sleep_study()
    >>> X.tolist()
    [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]]
    >>> y.ravel().tolist()
    [0.75, 0.82, 0.93]
    >>> X_raw, y_raw = sleep_study(normalize=False)
    >>> X_raw.tolist(), y_raw.ravel().tolist()
    ([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]], [75.0, 82.0, 93.0])
    """
    X = np.array(_SLEEP_STUDY_X, dtype=np.float64)
    y = np.array(_SLEEP_STUDY_Y, dtype=np.float64)
    if normalize:
        X = X / X.max(axis=0)
        y = y / MAX_SCORE
    return X, y


def sleep_study_part7(
    normalize: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Part VII's training set (four examples) and test set (four examples).

    Part VII adds the training example ``[6, 1.5] -> 70`` to the three of
    :func:`sleep_study` and holds out the test set
    ``X_test = [[4, 5.5], [4.5, 1], [9, 2.5], [6, 2]]``, ``y_test = [70, 89, 85, 75]``.

    Parameters
    ----------
    normalize : bool, default True
        If true, divide the training *and* test inputs by the training inputs' column
        maxima (``[10, 5]``), and all scores by 100. If false, return hours and scores.

    Returns
    -------
    X_train : numpy.ndarray, shape (4, 2), float64
    y_train : numpy.ndarray, shape (4, 1), float64
    X_test : numpy.ndarray, shape (4, 2), float64
    y_test : numpy.ndarray, shape (4, 1), float64

    Notes
    -----
    The original Part VII code normalizes the test inputs with
    ``testX / np.amax(trainX, axis=0)`` *after* ``trainX`` has already been normalized,
    i.e. it divides by ``[1, 1]`` and leaves the test inputs in raw hours: a bug. Here
    the test set is scaled by the training set's raw maxima, the same transform the
    training inputs get (and the test set's own maxima are deliberately not used:
    a model must not see test statistics). Note that the test input ``5.5`` hours of
    study scales to ``1.1``, beyond the training range.

    Examples
    --------
    >>> X_train, y_train, X_test, y_test = sleep_study_part7()
    >>> X_train.shape, y_train.shape, X_test.shape, y_test.shape
    ((4, 2), (4, 1), (4, 2), (4, 1))
    >>> X_train[3].tolist(), y_train[3].tolist()
    ([0.6, 0.3], [0.7])
    >>> X_test[0].tolist()  # [4 / 10, 5.5 / 5]
    [0.4, 1.1]
    """
    X_train = np.array(_SLEEP_STUDY_X + _PART7_EXTRA_X, dtype=np.float64)
    y_train = np.array(_SLEEP_STUDY_Y + _PART7_EXTRA_Y, dtype=np.float64)
    X_test = np.array(_PART7_TEST_X, dtype=np.float64)
    y_test = np.array(_PART7_TEST_Y, dtype=np.float64)
    if normalize:
        scale = X_train.max(axis=0)
        X_train = X_train / scale
        X_test = X_test / scale
        y_train = y_train / MAX_SCORE
        y_test = y_test / MAX_SCORE
    return X_train, y_train, X_test, y_test


# --------------------------------------------------------------------------- iris

#: Names of the four iris features, in column order (all in centimetres).
iris_feature_names: Final[tuple[str, str, str, str]] = (
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
)
#: Names of the three iris species; label ``i`` is ``iris_class_names[i]``.
iris_class_names: Final[tuple[str, str, str]] = ("setosa", "versicolor", "virginica")

_IRIS_FILE: Final = "iris.csv"
_IRIS_HEADER: Final = "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,label"


@functools.lru_cache(maxsize=1)
def _iris_table() -> np.ndarray:
    """Parse the packaged ``iris.csv`` once; callers must copy what they return."""
    text = resources.files(__name__).joinpath(_IRIS_FILE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or lines[0].strip() != _IRIS_HEADER:
        raise RuntimeError(f"packaged {_IRIS_FILE} is corrupt: unexpected header {lines[:1]!r}")
    table = np.loadtxt(io.StringIO("\n".join(lines[1:])), delimiter=",", dtype=np.float64, ndmin=2)
    if table.shape != (150, 5):
        raise RuntimeError(f"packaged {_IRIS_FILE} is corrupt: shape {table.shape}, expected (150, 5)")
    table.setflags(write=False)
    return table


def iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris data: 150 flowers, 4 measurements, 3 species.

    Read from the packaged ``iris.csv`` (public domain, R. A. Fisher 1936; a verbatim
    dump of scikit-learn's ``load_iris``, which agrees with Fisher's paper rather than
    the UCI file's two erroneous rows). No download, no scikit-learn needed.

    Returns
    -------
    X : numpy.ndarray, shape (150, 4), float64
        Sepal length, sepal width, petal length, petal width, in cm
        (see :data:`iris_feature_names`).
    labels : numpy.ndarray, shape (150,), int64
        Species: 0 = setosa, 1 = versicolor, 2 = virginica (see :data:`iris_class_names`),
        in the standard order (rows 0-49, 50-99, 100-149).

    Examples
    --------
    >>> X, labels = iris()
    >>> X.shape, X.dtype, labels.shape
    ((150, 4), dtype('float64'), (150,))
    >>> X[0].tolist(), iris_class_names[labels[0]]
    ([5.1, 3.5, 1.4, 0.2], 'setosa')
    >>> import numpy as np
    >>> np.bincount(labels).tolist()
    [50, 50, 50]
    """
    table = _iris_table()
    X = np.array(table[:, :4], dtype=np.float64)  # a fresh, writable copy
    labels = table[:, 4].astype(np.int64)
    return X, labels


def iris_seed_subset() -> tuple[np.ndarray, np.ndarray]:
    """The iris slice the seed notebook trains the 2-3-1 network on.

    The first 3 flowers and the first 2 features (sepal length and width), with the
    labels as a float column so they match the network's ``(n, 1)`` output.

    Returns
    -------
    X : numpy.ndarray, shape (3, 2), float64
        ``[[5.1, 3.5], [4.9, 3.0], [4.7, 3.2]]``.
    y : numpy.ndarray, shape (3, 1), float64
        ``[[0.0], [0.0], [0.0]]`` (all setosa).

    Examples
    --------
    >>> X, y = iris_seed_subset()
    >>> X.tolist(), y.tolist()
    ([[5.1, 3.5], [4.9, 3.0], [4.7, 3.2]], [[0.0], [0.0], [0.0]])
    """
    X, labels = iris()
    return X[:3, :2].copy(), labels[:3].astype(np.float64).reshape(-1, 1)


# --------------------------------------------------------------------------- labels


def _as_int_labels(labels: ArrayLike) -> np.ndarray:
    """Validate class labels and return them as a 1-D int64 array."""
    arr = np.asarray(labels)
    if arr.ndim == 2 and arr.shape[1] == 1:  # an (n, 1) column, like iris_seed_subset's y
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"labels must be 1-D (or an (n, 1) column), got shape {arr.shape}")
    if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"labels must be integers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr) & (arr == np.floor(arr))):
        bad = arr[~(np.isfinite(arr) & (arr == np.floor(arr)))]
        raise ValueError(f"labels must be integers, got non-integer value(s) {bad[:5].tolist()}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"labels must be non-negative, got {arr.min()!r}")
    if np.issubdtype(arr.dtype, np.unsignedinteger) and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"label {arr.max()!r} is too large")
    return arr.astype(np.int64)


def one_hot(labels: ArrayLike, n_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels.

    Parameters
    ----------
    labels : array_like of int, shape (n,) or (n, 1)
        Class indices in ``0 .. n_classes - 1``. Floats are accepted only if they are
        whole numbers (e.g. the float column of :func:`iris_seed_subset`).
    n_classes : int, optional
        Number of classes ``k``. Defaults to ``max(labels) + 1`` (``0`` for no labels).

    Returns
    -------
    numpy.ndarray, shape (n, k), float64
        Row ``i`` is all zeros except a one in column ``labels[i]``.

    Raises
    ------
    ValueError
        If a label is not an integer, is negative or is ``>= n_classes``; if
        ``n_classes`` is not a non-negative integer; if ``labels`` is not 1-D.

    Examples
    --------
    >>> one_hot([0, 2, 1]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    >>> one_hot([1], n_classes=4).tolist()
    [[0.0, 1.0, 0.0, 0.0]]
    >>> one_hot([3], n_classes=3)
    Traceback (most recent call last):
        ...
    ValueError: label 3 is out of range for n_classes=3 (labels must be in 0..2)
    """
    arr = _as_int_labels(labels)
    if n_classes is None:
        k = int(arr.max()) + 1 if arr.size else 0
    else:
        if isinstance(n_classes, (bool, np.bool_)) or not isinstance(n_classes, (int, np.integer)):
            raise ValueError(f"n_classes must be an integer, got {n_classes!r}")
        k = int(n_classes)
        if k < 0:
            raise ValueError(f"n_classes must be non-negative, got {k}")
        if arr.size and arr.max() >= k:
            raise ValueError(f"label {int(arr.max())} is out of range for n_classes={k} (labels must be in 0..{k - 1})")
    out = np.zeros((arr.size, k), dtype=np.float64)
    out[np.arange(arr.size), arr] = 1.0
    return out


def labels_from_one_hot(encoded: ArrayLike) -> np.ndarray:
    """Recover class labels from one-hot rows (or from per-class scores) by argmax.

    Parameters
    ----------
    encoded : array_like, shape (n, k)
        One-hot rows, or any per-class scores such as a network's outputs; ``k >= 1``.

    Returns
    -------
    numpy.ndarray, shape (n,), int64
        The column of each row's largest entry (the first one on ties).

    Raises
    ------
    ValueError
        If ``encoded`` is not 2-D or has no columns.

    Examples
    --------
    >>> labels_from_one_hot(one_hot([2, 0, 1])).tolist()
    [2, 0, 1]
    >>> labels_from_one_hot([[0.1, 0.7, 0.2]]).tolist()
    [1]
    """
    arr = np.asarray(encoded)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"expected a 2-D (n, k) array with k >= 1, got shape {arr.shape}")
    return np.argmax(arr, axis=1).astype(np.int64)
