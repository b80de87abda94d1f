"""The series' figures, as library functions that return :class:`matplotlib.figure.Figure`.

matplotlib is an optional extra (``pip install 'tinygrad-nnd[plot]'``): this module
imports without it, and only the functions that draw need it (they raise an
:class:`ImportError` that names the pip command when it is missing). This module
only draws: the brute-force search of Part III that :func:`plot_brute_force_cost`
shows is computed in :mod:`tinygrad_nnd.nn.brute_force` (:func:`brute_force_cost`,
:func:`curse_of_dimensionality_years`, re-exported here), the predictions on a grid
in :func:`tinygrad_nnd.nn.grid.prediction_grid` and the errors of numerical
derivatives in :func:`tinygrad_nnd.gradcheck.difference_errors`, all without matplotlib.

Figures are made with ``matplotlib.figure.Figure()`` directly, never through
``pyplot``: no global figure registry, no GUI backend, nothing to close. Save one
with :func:`save_figure` (PNG) or show it in a notebook by leaving it as a cell's value.

Figures of the series
---------------------
:func:`plot_network`
    Part I: the network's layers of units and the weights that connect them.
:func:`plot_sigmoid`
    The sigmoid and its derivative (the seed notebook's first plot).
:func:`plot_difference_error`
    Part V: how far central and one-sided differences are from the true derivative,
    for step sizes from 1e-13 to 0.1.
:func:`plot_brute_force_cost`
    Part III: the cost over 1000 values of one weight, with the time it took and the
    time the same search would take over all nine weights (the curse of dimensionality).
:func:`plot_cost_history`
    Part VI: the cost after each BFGS iteration (training, and test when recorded).
:func:`plot_prediction_contour`, :func:`plot_prediction_surface`
    Parts VI and VII: the predicted test score over hours of sleep x hours of study,
    as a contour map and as a 3-D surface, with the training points.
:func:`plot_overfitting`
    Part VII: training and test cost per iteration, without and with regularization.

Examples
--------
>>> from tinygrad_nnd.plots import curse_of_dimensionality_years
>>> curse_of_dimensionality_years(0.04, 9)  # Part III: nine weights, 0.04 s per 1000 evaluations
1268391679350583.5
>>> from tinygrad_nnd import NeuralNetwork
>>> from tinygrad_nnd.plots import plot_sigmoid, plot_prediction_surface, save_figure
>>> fig = plot_sigmoid()
>>> save_figure(plot_prediction_surface(NeuralNetwork(seed=0)), "surface.png")
PosixPath('surface.png')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._arguments import positive_int
from .datasets import MAX_SCORE
from .gradcheck import difference_errors
from .nn.activations import sigmoid, sigmoid_prime
from .nn.brute_force import (
    SECONDS_PER_YEAR,
    BruteForceResult,
    brute_force_cost,
    curse_of_dimensionality_years,
)
from .nn.grid import prediction_grid
from .text import plural

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from types import ModuleType

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "SECONDS_PER_YEAR",
    "BruteForceResult",
    "brute_force_cost",
    "curse_of_dimensionality_years",
    "plot_brute_force_cost",
    "plot_cost_history",
    "plot_difference_error",
    "plot_network",
    "plot_overfitting",
    "plot_prediction_contour",
    "plot_prediction_surface",
    "plot_sigmoid",
    "save_figure",
]


_INSTALL_HINT = "pip install 'tinygrad-nnd[plot]' (or pip install matplotlib)"


def _require_matplotlib() -> ModuleType:
    """Import matplotlib on first use; an ImportError naming the pip command if it is missing.

    Returns
    -------
    module
        ``matplotlib.figure`` (whose :class:`~matplotlib.figure.Figure` the plots build on).

    Raises
    ------
    ImportError
        If matplotlib cannot be imported.
    """
    try:
        import matplotlib
        import matplotlib.figure
    except ImportError as error:
        raise ImportError(f"tinygrad_nnd.plots needs matplotlib, which is not installed: {_INSTALL_HINT}") from error
    return matplotlib.figure


def _new_figure(figsize: tuple[float, float], *, layout: str | None = "constrained") -> Figure:
    """A fresh, pyplot-free Figure."""
    mpl_figure = _require_matplotlib()
    return mpl_figure.Figure(figsize=figsize, layout=layout)


# --------------------------------------------------------------------------- Part I: the network


def plot_network(
    layer_sizes: Sequence[int] = (2, 3, 1),
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> Figure:
    """Part I's picture of the network: one circle per unit, one line per weight.

    Parameters
    ----------
    layer_sizes : sequence of int, optional
        Units per layer, inputs first (as :class:`~tinygrad_nnd.NeuralNetwork`'s
        ``layer_sizes``); the series' ``(2, 3, 1)`` by default.
    input_names, output_names : sequence of str, optional
        Labels for the input and output units. By default the series' ("Hours of
        sleep", "Hours of study" and "Test score") when the sizes are 2 and 1, and
        ``x_1, x_2, ...`` and ``y_hat_1, ...`` otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: a line for each weight (between every unit of a layer and every
        unit of the next), the weight matrices' names ``W_1, W_2, ...`` above the
        lines, and each layer's name and size below its units.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError, ValueError
        If ``layer_sizes`` is not at least two whole numbers >= 1, or a list of names
        has the wrong length.

    Examples
    --------
    >>> fig = plot_network((2, 3, 1))
    >>> len(fig.axes[0].get_lines())
    9
    """
    sizes = [positive_int(n, "layer_sizes entry") for n in layer_sizes]
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least an input and an output layer, got {tuple(layer_sizes)}")
    series = sizes[0] == 2 and sizes[-1] == 1
    if input_names is None:
        input_names = ("Hours of sleep", "Hours of study") if series else [f"x_{i}" for i in range(1, sizes[0] + 1)]
    if output_names is None:
        output_names = ("Test score",) if series else [f"y_hat_{i}" for i in range(1, sizes[-1] + 1)]
    for names, size, what in ((input_names, sizes[0], "input_names"), (output_names, sizes[-1], "output_names")):
        if len(names) != size:
            raise ValueError(f"{what} has {len(names)} names for a layer of {size} units")
    fig = _new_figure((2.6 * len(sizes) + 1.5, 1.0 + 0.9 * max(sizes)))
    ax = fig.add_subplot()
    # Units of a layer are spread evenly around height 0, one unit apart.
    heights = [np.arange(n)[::-1] - (n - 1) / 2 for n in sizes]
    for l in range(len(sizes) - 1):
        for a in heights[l]:
            for b in heights[l + 1]:
                ax.plot([l, l + 1], [a, b], color="0.6", linewidth=1, zorder=1)
        ax.text(l + 0.5, max(sizes) / 2, f"W_{l + 1}", ha="center", va="bottom", fontsize=12)
    for l, ys in enumerate(heights):
        ax.scatter(np.full(ys.size, l), ys, s=900, color="white", edgecolors="black", zorder=2)
        if l == 0:
            kind = "input layer"
        elif l == len(sizes) - 1:
            kind = "output layer"
        else:
            kind = "hidden layer" if len(sizes) == 3 else f"hidden layer {l}"
        ax.text(l, -max(sizes) / 2 - 0.2, f"{kind}\n({plural(sizes[l], 'unit')})", ha="center", va="top")
    for name, y_pos in zip(input_names, heights[0]):
        ax.text(-0.15, y_pos, name, ha="right", va="center")
    for name, y_pos in zip(output_names, heights[-1]):
        ax.text(len(sizes) - 1 + 0.15, y_pos, name, ha="left", va="center")
    ax.set_xlim(-1.2, len(sizes) - 1 + 1.0)
    ax.set_ylim(-max(sizes) / 2 - 1.0, max(sizes) / 2 + 0.6)
    ax.set_axis_off()
    return fig


# --------------------------------------------------------------------------- sigmoid


def plot_sigmoid(z: Any = None) -> Figure:
    """The sigmoid and its derivative, as in the seed notebook.

    Parameters
    ----------
    z : array_like, optional
        Where to evaluate them; ``np.arange(-10, 10, 0.01)`` by default.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with two lines, ``sigmoid`` (``sigmoid(z)``) and ``derivative sigmoid``
        (``sigmoid_prime(z)``), a legend, and the title
        ``"A sigmoid function and its derivative"``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If ``z`` is not a non-empty, finite, 1-D array of numbers.

    Examples
    --------
    >>> fig = plot_sigmoid()
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['sigmoid', 'derivative sigmoid']
    """
    z = np.arange(-10, 10, 0.01) if z is None else _as_1d(z, "z")
    fig = _new_figure((8, 5))
    ax = fig.add_subplot()
    ax.plot(z, sigmoid(z), label="sigmoid")
    ax.plot(z, sigmoid_prime(z), label="derivative sigmoid")
    ax.set_title("A sigmoid function and its derivative")
    ax.set_xlabel("z")
    ax.legend(loc="best")
    _despine(ax)
    return fig


def plot_difference_error(f: Any = None, f_prime: Any = None, x: float = 1.0, eps: Any = None) -> Figure:
    """Part V's warning in a picture: the error of numerical derivatives against the step size.

    For each step ``eps`` it draws ``|central - exact|`` and ``|one-sided - exact|``,
    with ``central = (f(x + eps) - f(x - eps)) / (2 eps)`` and
    ``one-sided = (f(x + eps) - f(x)) / eps``, on logarithmic axes (computed by
    :func:`tinygrad_nnd.gradcheck.difference_errors`). Going right to
    left, both errors first shrink (the truncation error, like ``eps**2`` for the
    central and like ``eps`` for the one-sided difference), then grow again as
    rounding takes over. A dotted line marks the series' ``eps = 1e-4``.

    Parameters
    ----------
    f, f_prime : callable, optional
        A function of one float and its exact derivative; the sigmoid and
        :func:`~tinygrad_nnd.sigmoid_prime` by default.
    x : float, optional
        Where to differentiate (1.0).
    eps : array_like, optional
        The steps; 61 values from 1e-13 to 0.1 by default.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with the lines ``central difference`` and ``one-sided difference``.
        Errors that are exactly 0 are left out (a logarithmic axis has no 0).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If ``eps`` is not positive, finite numbers, or ``f_prime`` is given without ``f``.

    Examples
    --------
    >>> fig = plot_difference_error()
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ['central difference', 'one-sided difference']
    """
    if (f is None) != (f_prime is None):
        raise ValueError("plot_difference_error: give both f and f_prime, or neither (for the sigmoid)")
    if f is None:
        f, f_prime = sigmoid, sigmoid_prime
        name = "the sigmoid"
    else:
        name = getattr(f, "__name__", "f")
    steps = np.logspace(-13, -1, 61) if eps is None else _as_1d(eps, "eps", what="step sizes")
    central, one_sided = difference_errors(f, f_prime, x, steps)
    x = float(x)
    fig = _new_figure((8, 5))
    ax = fig.add_subplot()
    for error, label in ((central, "central difference"), (one_sided, "one-sided difference")):
        ax.loglog(steps, np.where(error > 0, error, np.nan), marker=".", label=label)
    ax.axvline(1e-4, color="0.5", linestyle=":", label="eps = 1e-4 (the series)")
    ax.set_xlabel("Step size eps")
    ax.set_ylabel("|numerical - exact derivative|")
    ax.set_title(f"Numerical derivatives of {name} at {x:g}: error against step size")
    ax.legend(loc="best")
    _despine(ax)
    return fig


# --------------------------------------------------------------------------- cost history


def plot_cost_history(
    J: Any, test_J: Any = None, title: str = "Cost vs iterations", *, log_scale: bool = False
) -> Figure:
    """The cost after each training iteration (Part VI), training and optionally test.

    Parameters
    ----------
    J : sequence of float, or Trainer
        The training cost per iteration, or anything with ``.J`` and ``.test_J``
        attributes (a :class:`~tinygrad_nnd.Trainer` after ``train``): then its
        ``test_J`` is drawn too when it is not empty and ``test_J`` is not given.
    test_J : sequence of float, optional
        The test cost per iteration.
    title : str, optional
        The axes' title.
    log_scale : bool, optional
        Draw the cost on a logarithmic axis.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the line ``training`` (and ``test``) over iterations ``1, 2, ...``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If ``J`` is empty or not finite numbers (a trainer that has not been trained).

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork, Trainer
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> T = Trainer(NeuralNetwork(seed=0))
    >>> _ = T.train(*sleep_study())
    >>> fig = plot_cost_history(T)
    >>> len(fig.axes[0].get_lines()) == 1
    True
    """
    train, test = _cost_curves(J, test_J)
    fig = _new_figure((8, 5))
    ax = fig.add_subplot()
    _draw_costs(ax, train, test)
    ax.set_title(title)
    if log_scale:
        ax.set_yscale("log")
    return fig


def _cost_curves(J: Any, test_J: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """``(training, test or None)`` from sequences or a trainer-like object."""
    if hasattr(J, "J"):  # a Trainer, duck-typed
        trainer = J
        J = trainer.J
        if test_J is None:
            test_J = getattr(trainer, "test_J", None)
            if test_J is not None and len(test_J) == 0:
                test_J = None
    train = _as_1d(J, "J", what="the training cost per iteration (has the trainer been trained?)")
    test = None if test_J is None else _as_1d(test_J, "test_J", what="the test cost per iteration")
    return train, test


def _draw_costs(ax: Axes, train: np.ndarray, test: np.ndarray | None) -> None:
    ax.plot(np.arange(1, train.size + 1), train, label="training")
    if test is not None:
        ax.plot(np.arange(1, test.size + 1), test, label="test")
    ax.set_xlabel("Iterations")
    ax.set_ylabel("Cost")
    ax.legend(loc="best")
    _despine(ax)


# --------------------------------------------------------------------------- Part III: brute force


def plot_brute_force_cost(result: BruteForceResult) -> Figure:
    """Part III's picture: the cost over the values of one weight, and the curse of dimensionality.

    Parameters
    ----------
    result : BruteForceResult
        From :func:`brute_force_cost`.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the line ``cost`` (cost over the weight's values), markers at the
        starting value and at the lowest cost, the measured time in the title and,
        as the legend's title, the time the same search over all weights would take.

    Raises
    ------
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> result = brute_force_cost(NeuralNetwork(seed=0), *sleep_study(), n_values=100)
    >>> fig = plot_brute_force_cost(result)
    """
    fig = _new_figure((8, 5))
    ax = fig.add_subplot()
    ax.plot(result.weights, result.costs, label="cost")
    ax.plot([result.start_weight], [result.start_cost], "o", label=f"start ({result.start_weight:.3g})")
    ax.plot([result.best_weight], [result.best_cost], "*", markersize=12, label=f"lowest ({result.best_weight:.3g})")
    ax.set_xlabel(f"{result.weight_name}")
    ax.set_ylabel("Cost")
    ax.set_title(
        f"Brute force over {result.weight_name}: {result.n_values} evaluations "
        f"in {result.seconds:.3g} s ({result.seconds_per_1000_evals:.3g} s per 1000)"
    )
    # The extrapolation heads the legend, which loc="best" keeps off the curve.
    ax.legend(
        loc="best",
        title=(
            f"All {result.n_params} weights at {result.n_values} values each:\n"
            f"{result.n_values}**{result.n_params} evaluations, about {_format_years(result.years_for_all_weights)}"
        ),
    )
    _despine(ax)
    return fig


# --------------------------------------------------------------------------- Parts VI-VII: predictions


def _training_points(
    X: Any, y: Any, scale: tuple[float, float], y_scale: float, data_normalized: bool, *, need_y: bool
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The training points in raw units (hours, score), or None."""
    if X is None:
        if y is not None:
            raise ValueError("y was given without X")
        return None
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) (hours of sleep, hours of study), got {X.shape}")
    if y is None:
        if need_y:
            raise ValueError("the 3-D plot needs the scores y to place the training points")
        y_raw = None
    else:
        y_raw = np.asarray(y, dtype=np.float64).reshape(-1)
        if y_raw.size != X.shape[0]:
            raise ValueError(f"y must have one score per row of X ({X.shape[0]}), got {y_raw.size}")
    if data_normalized:
        X = X * np.asarray(scale)
        if y_raw is not None:
            y_raw = y_raw * y_scale
    return X, y_raw


def plot_prediction_contour(
    N: Any,
    X: Any = None,
    y: Any = None,
    x_max: Sequence[float] = (10, 5),
    y_scale: float = MAX_SCORE,
    *,
    resolution: int = 100,
    data_normalized: bool = True,
) -> Figure:
    """The predicted test score over hours of sleep x hours of study, as a contour map (Part VI).

    The network sees inputs scaled by the training maxima ``x_max``, as the data
    are; the axes are in raw hours (sleep ``0..x_max[0]``, study ``0..x_max[1]``)
    and the score is the network's output times ``y_scale``.

    Parameters
    ----------
    N : NeuralNetwork
        A network with 2 inputs and 1 output (left unchanged).
    X, y : array_like, optional
        Training points to draw (shape ``(n, 2)`` and ``n`` scores): as the network
        sees them (scaled) when ``data_normalized``, else in hours and points. With
        ``y``, each point is labelled with its score.
    x_max : (float, float), optional
        The hours the inputs were divided by: ``(10, 5)`` for the series' data.
    y_scale : float, optional
        What the scores were divided by: 100.
    resolution : int, optional
        Grid points per axis.
    data_normalized : bool, optional
        Whether ``X`` and ``y`` are scaled (default) or raw.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the labelled contour lines of the predicted score and, when given,
        the line ``training data`` with the training points in hours.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If the network is not 2-in, 1-out, or the arguments do not fit.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork, Trainer
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> X, y = sleep_study()
    >>> N = NeuralNetwork(seed=0)
    >>> _ = Trainer(N).train(X, y)
    >>> fig = plot_prediction_contour(N, X, y)
    """
    sleep, study, scores, scale, y_scale = prediction_grid(N, x_max, y_scale, resolution)
    points = _training_points(X, y, scale, y_scale, data_normalized, need_y=False)
    fig = _new_figure((7, 5))
    ax = fig.add_subplot()
    if np.ptp(scores) > 0:
        contours = ax.contour(sleep, study, scores, levels=10, cmap="viridis")
        ax.clabel(contours, inline=True, fontsize=9, fmt="%.4g")
    else:  # a flat prediction has no contour lines
        ax.text(0.5, 0.5, f"constant prediction {scores.flat[0]:.4g}", transform=ax.transAxes, ha="center")
    if points is not None:
        X_raw, y_raw = points
        ax.plot(X_raw[:, 0], X_raw[:, 1], "o", color="black", label="training data")
        if y_raw is not None:
            for (s, t), score in zip(X_raw, y_raw):
                ax.annotate(f"{score:.4g}", (s, t), textcoords="offset points", xytext=(5, 5))
        ax.legend(loc="best")
    ax.set_xlim(0, scale[0])
    ax.set_ylim(0, scale[1])
    ax.set_xlabel("Hours of sleep")
    ax.set_ylabel("Hours of study")
    ax.set_title("Predicted test score")
    return fig


def plot_prediction_surface(
    N: Any,
    X: Any = None,
    y: Any = None,
    x_max: Sequence[float] = (10, 5),
    y_scale: float = MAX_SCORE,
    *,
    resolution: int = 100,
    data_normalized: bool = True,
) -> Figure:
    """The predicted test score over hours of sleep x hours of study, as a 3-D surface (Parts VI-VII).

    Same grid and scaling as :func:`plot_prediction_contour`; the training points
    (which need both ``X`` and ``y`` here) are drawn at their actual scores, so the
    distance to the surface is the error.

    Parameters
    ----------
    N : NeuralNetwork
        A network with 2 inputs and 1 output (left unchanged).
    X, y : array_like, optional
        Training points, both or neither (see :func:`plot_prediction_contour`).
    x_max : (float, float), optional
        The hours the inputs were divided by: ``(10, 5)``.
    y_scale : float, optional
        What the scores were divided by: 100.
    resolution : int, optional
        Grid points per axis.
    data_normalized : bool, optional
        Whether ``X`` and ``y`` are scaled (default) or raw.

    Returns
    -------
    matplotlib.figure.Figure
        One 3-D axes: the surface and, when given, the line ``training data`` with
        the points (hours of sleep, hours of study, score).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If the network is not 2-in, 1-out, or the arguments do not fit.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> fig = plot_prediction_surface(NeuralNetwork(seed=0), *sleep_study())
    >>> fig.axes[0].name
    '3d'
    """
    sleep, study, scores, scale, y_scale = prediction_grid(N, x_max, y_scale, resolution)
    points = _training_points(X, y, scale, y_scale, data_normalized, need_y=True)
    fig = _new_figure((8, 6), layout=None)  # constrained layout and 3-D axes do not mix well
    try:
        import mpl_toolkits.mplot3d  # noqa: F401  (registers the '3d' projection on old matplotlib)
    except ImportError as error:  # pragma: no cover - ships with matplotlib
        raise ImportError(f"the 3-D plot needs mpl_toolkits.mplot3d: {_INSTALL_HINT}") from error
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(sleep, study, scores, cmap="viridis", alpha=0.8, linewidth=0)
    if points is not None:
        X_raw, y_raw = points
        ax.plot(X_raw[:, 0], X_raw[:, 1], y_raw, "o", color="black", label="training data")
        ax.legend(loc="upper left")
    ax.set_xlabel("Hours of sleep")
    ax.set_ylabel("Hours of study")
    ax.set_zlabel("Test score")
    ax.set_title("Predicted test score")
    return fig


# --------------------------------------------------------------------------- Part VII: overfitting


def plot_overfitting(trainer_plain: Any, trainer_regularized: Any) -> Figure:
    """Part VII's picture: training and test cost per iteration, without and with regularization.

    Parameters
    ----------
    trainer_plain, trainer_regularized : Trainer
        Trainers (anything with ``.J`` and ``.test_J``) trained with test data, the
        second on a network with ``Lambda > 0``.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes side by side, each with the lines ``training`` and ``test``; the
        titles give each network's ``Lambda`` when it has one.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If a trainer has no training or no test costs recorded.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork, Trainer
    >>> from tinygrad_nnd.datasets import sleep_study_part7
    >>> data = sleep_study_part7()
    >>> plain = Trainer(NeuralNetwork(seed=0, mean_cost=True), maxiter=50)
    >>> regularized = Trainer(NeuralNetwork(seed=0, mean_cost=True, Lambda=1e-4), maxiter=50)
    >>> _ = plain.train(*data), regularized.train(*data)
    >>> fig = plot_overfitting(plain, regularized)
    >>> len(fig.axes)
    2
    """
    curves = []
    for name, trainer in (("trainer_plain", trainer_plain), ("trainer_regularized", trainer_regularized)):
        if not hasattr(trainer, "J"):
            raise TypeError(f"{name} must be a Trainer (with .J and .test_J), got {type(trainer).__name__}")
        train, test = _cost_curves(trainer, None)
        if test is None:
            raise ValueError(f"{name} has no test costs: train it with train(X, y, X_test, y_test)")
        curves.append((trainer, train, test))
    fig = _new_figure((12, 5))
    for i, (trainer, train, test) in enumerate(curves):
        ax = fig.add_subplot(1, 2, i + 1)
        _draw_costs(ax, train, test)
        Lambda = getattr(getattr(trainer, "N", None), "Lambda", None)
        heading = "Without regularization" if i == 0 else "With regularization"
        ax.set_title(heading if Lambda is None else f"{heading} (Lambda = {Lambda:g})")
    fig.suptitle("Training and test cost per iteration")
    return fig


# --------------------------------------------------------------------------- saving


def save_figure(fig: Figure, path: str | Path, *, dpi: float = 100) -> Path:
    """Save a figure as PNG, creating the parent directories.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Where to write; the file is PNG whatever its suffix.
    dpi : float, optional
        Resolution; the figures here are 700-1200 pixels wide at 100.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> save_figure(plot_sigmoid(), "out/sigmoid.png")
    PosixPath('out/sigmoid.png')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi)
    return path


# --------------------------------------------------------------------------- helpers


def _as_1d(values: Any, name: str, *, what: str = "numbers") -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {what}, got {type(values).__name__}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of {what}, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite")
    return array


def _format_years(years: float) -> str:
    if math.isinf(years):
        return "more years than a float can hold"
    if years * SECONDS_PER_YEAR < 3600 * 24:
        return f"{years * SECONDS_PER_YEAR:.3g} seconds"
    return f"{years:.3g} years"


def _despine(ax: Axes) -> None:
    """Hide the top and right spines, as seaborn's ``despine`` in the seed."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
