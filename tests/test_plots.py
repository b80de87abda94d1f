"""tinygrad_nnd.plots: the series' figures (matplotlib optional) and Part III's brute force.

Tests that draw ask for the ``mpl`` fixture, which skips them when matplotlib is
not installed; the brute-force numbers and the missing-matplotlib behaviour are
tested either way.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from typing import ClassVar

import numpy as np
import pytest

from tinygrad_nnd import NeuralNetwork, Trainer, plots, sigmoid, sigmoid_prime
from tinygrad_nnd.datasets import sleep_study, sleep_study_part7
from tinygrad_nnd.nn.grid import prediction_grid
from tinygrad_nnd.plots import (
    SECONDS_PER_YEAR,
    BruteForceResult,
    brute_force_cost,
    curse_of_dimensionality_years,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def mpl():
    """matplotlib, or skip the test."""
    return pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def part7_trainers() -> tuple[Trainer, Trainer]:
    """Short real training on Part VII's data: without and with regularization."""
    X, y, X_test, y_test = sleep_study_part7()
    plain = Trainer(NeuralNetwork(seed=0, mean_cost=True), maxiter=50)
    regularized = Trainer(NeuralNetwork(seed=0, mean_cost=True, Lambda=1e-4), maxiter=50)
    plain.train(X, y, X_test, y_test)
    regularized.train(X, y, X_test, y_test)
    return plain, regularized


@pytest.fixture(scope="module")
def trained_network() -> NeuralNetwork:
    N = NeuralNetwork(seed=0)
    Trainer(N).train(*sleep_study())
    return N


def _png(path) -> bytes:
    data = path.read_bytes()
    assert len(data) > len(PNG_SIGNATURE)
    assert data.startswith(PNG_SIGNATURE)
    return data


# --------------------------------------------------------------------------- curse of dimensionality


def test_curse_of_dimensionality_reproduces_part_iii_exactly():
    # Bit for bit: the function does the reference's float operations in the same order.
    assert curse_of_dimensionality_years(0.04, 9) == 1268391679350583.5
    assert curse_of_dimensionality_years(0.04, 9) == 0.04 * 1000**8 / (3600 * 24 * 365)
    assert curse_of_dimensionality_years(0.04, 9, n_values=1000) == 1268391679350583.5
    assert SECONDS_PER_YEAR == 3600 * 24 * 365


def test_curse_of_dimensionality_scales_with_weights_and_values():
    # Each side is a few float roundings from the exact value, hence rel=1e-12.
    exact = {"rel": 1e-12}
    # One weight at 1000 values is the measured 1000 evaluations themselves.
    assert curse_of_dimensionality_years(2.5, 1) * SECONDS_PER_YEAR == pytest.approx(2.5, **exact)
    # Two weights: 1000 times longer; each extra weight multiplies by n_values.
    assert curse_of_dimensionality_years(0.04, 2) * SECONDS_PER_YEAR == pytest.approx(40.0, **exact)
    assert curse_of_dimensionality_years(0.04, 5) == pytest.approx(
        1000 * curse_of_dimensionality_years(0.04, 4), **exact
    )
    # Fewer values per weight: n_values**n_weights evaluations at 0.04 / 1000 s each.
    assert curse_of_dimensionality_years(0.04, 3, n_values=10) * SECONDS_PER_YEAR == pytest.approx(0.04, **exact)
    assert curse_of_dimensionality_years(0.04, 2, n_values=7) * SECONDS_PER_YEAR == pytest.approx(
        0.04 * 49 / 1000, **exact
    )
    assert curse_of_dimensionality_years(0.0, 9) == 0.0
    assert curse_of_dimensionality_years(0.04, 200) == math.inf  # beyond the float range, not OverflowError


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((-1.0, 9), ValueError),
        ((math.nan, 9), ValueError),
        ((math.inf, 9), ValueError),
        (("0.04", 9), TypeError),
        ((0.04, 0), ValueError),
        ((0.04, 9.0), TypeError),
        ((0.04, True), TypeError),
        ((0.04, 9, 0), ValueError),
    ],
)
def test_curse_of_dimensionality_rejects_bad_arguments(args, error):
    with pytest.raises(error):
        curse_of_dimensionality_years(*args)


# --------------------------------------------------------------------------- brute force (no matplotlib)


def test_brute_force_cost_restores_params_and_finds_the_grid_minimum():
    X, y = sleep_study()
    N = NeuralNetwork(seed=0)
    before = N.get_params()
    result = brute_force_cost(N, X, y, n_values=50, weight_index=3)
    assert np.array_equal(N.get_params(), before)
    assert isinstance(result, BruteForceResult)
    assert np.array_equal(result.weights, np.linspace(-5, 5, 50))
    assert result.costs.shape == (50,) and np.isfinite(result.costs).all()
    assert result.n_values == 50 and result.n_params == 9 and result.weight_index == 3
    assert result.weight_name == "W_1[1, 0]"  # W_1 is 2 x 3: flat index 3 is row 1, column 0
    assert result.start_weight == before[3]
    assert result.start_cost == N.cost_function(X, y)
    # Each cost is the network's cost with just that weight changed.
    for i in (0, 17, 49):
        params = before.copy()
        params[3] = result.weights[i]
        probe = NeuralNetwork(seed=0)
        probe.set_params(params)
        assert result.costs[i] == probe.cost_function(X, y)
    assert result.best_cost == result.costs.min()
    assert result.best_weight == result.weights[np.argmin(result.costs)]
    # Timing and the extrapolation to all nine weights (the same products, rounded in
    # another order: a few ulps apart at most, hence rel=1e-12).
    assert result.seconds > 0
    assert result.seconds_per_eval == result.seconds / 50
    assert result.seconds_per_1000_evals == pytest.approx(result.seconds_per_eval * 1000, rel=1e-12)
    assert result.seconds_for_all_weights == pytest.approx(result.seconds_per_eval * 50**9, rel=1e-12)
    assert result.years_for_all_weights == pytest.approx(result.seconds_per_eval * 50**9 / SECONDS_PER_YEAR, rel=1e-12)


def test_brute_force_cost_minimum_is_no_worse_than_the_start():
    X, y = sleep_study()
    N = NeuralNetwork(seed=1)
    params = N.get_params()
    params[0] = -5.0  # a grid point (the first), far from the first weight's best value
    N.set_params(params)
    result = brute_force_cost(N, X, y, n_values=50)
    assert result.start_weight == -5.0 and result.start_cost == result.costs[0]
    assert result.best_cost <= result.start_cost
    assert result.best_cost < result.start_cost  # this start is not the best value on the grid
    assert np.array_equal(N.get_params(), params)
    # From the untrained network's own weight (off the grid), as in Part III: W_2[0, 0].
    N = NeuralNetwork(seed=0)
    result = brute_force_cost(N, X, y, n_values=50, weight_index=6)
    assert result.weight_name == "W_2[0, 0]"
    assert result.best_cost <= result.start_cost
    assert -5 < result.best_weight < 5  # an interior minimum


def test_brute_force_cost_restores_params_when_the_cost_raises():
    X, y = sleep_study()
    N = NeuralNetwork(seed=0)
    before = N.get_params()

    class Boom(Exception):
        pass

    calls = {"n": 0}
    original = N.cost_function

    def failing_cost(X_, y_):
        calls["n"] += 1
        if calls["n"] == 10:
            raise Boom
        return original(X_, y_)

    N.cost_function = failing_cost
    with pytest.raises(Boom):
        brute_force_cost(N, X, y, n_values=50)
    assert np.array_equal(N.get_params(), before)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n_values": 0}, ValueError),
        ({"n_values": 2.5}, TypeError),
        ({"weight_index": 9}, ValueError),
        ({"weight_index": -1}, ValueError),
        ({"weight_index": 1.0}, TypeError),
        ({"bounds": (5, -5)}, ValueError),
        ({"bounds": (0, math.inf)}, ValueError),
        ({"bounds": "ab"}, ValueError),
    ],
)
def test_brute_force_cost_rejects_bad_arguments(kwargs, error):
    X, y = sleep_study()
    N = NeuralNetwork(seed=0)
    with pytest.raises(error):
        brute_force_cost(N, X, y, **kwargs)


# --------------------------------------------------------------------------- the figures


def test_plot_sigmoid(mpl):
    from matplotlib.figure import Figure

    fig = plots.plot_sigmoid()
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["sigmoid", "derivative sigmoid"]
    x = np.arange(-10, 10, 0.01)
    np.testing.assert_array_equal(lines[0].get_xdata(), x)
    np.testing.assert_array_equal(lines[0].get_ydata(), sigmoid(x))
    np.testing.assert_array_equal(lines[1].get_ydata(), sigmoid_prime(x))
    assert ax.get_title() == "A sigmoid function and its derivative"
    assert ax.get_legend() is not None
    z = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(plots.plot_sigmoid(z).axes[0].get_lines()[0].get_ydata(), sigmoid(z))


def test_plot_cost_history_from_lists_and_from_a_trainer(mpl, part7_trainers):
    fig = plots.plot_cost_history([3.0, 2.0, 1.5], title="my title")
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    assert line.get_label() == "training"
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 2.0, 1.5])
    assert ax.get_title() == "my title" and ax.get_xlabel() == "Iterations" and ax.get_ylabel() == "Cost"

    fig = plots.plot_cost_history([3.0, 2.0], [4.0, 3.5], log_scale=True)
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["training", "test"]
    assert fig.axes[0].get_yscale() == "log"

    plain, _ = part7_trainers
    assert len(plain.J) == len(plain.test_J) > 0
    train_line, test_line = plots.plot_cost_history(plain).axes[0].get_lines()
    np.testing.assert_array_equal(train_line.get_ydata(), plain.J)
    np.testing.assert_array_equal(test_line.get_ydata(), plain.test_J)

    # A trainer trained without test data: one line.
    T = Trainer(NeuralNetwork(seed=0), maxiter=20)
    T.train(*sleep_study())
    assert len(plots.plot_cost_history(T).axes[0].get_lines()) == 1


def test_plot_cost_history_rejects_an_untrained_trainer(mpl):
    with pytest.raises(ValueError, match="trained"):
        plots.plot_cost_history(Trainer(NeuralNetwork(seed=0)))
    with pytest.raises(ValueError):
        plots.plot_cost_history([1.0, math.nan])


def test_plot_brute_force_cost(mpl):
    X, y = sleep_study()
    result = brute_force_cost(NeuralNetwork(seed=0), X, y, n_values=50)
    fig = plots.plot_brute_force_cost(result)
    (ax,) = fig.axes
    cost_line, start, best = ax.get_lines()
    np.testing.assert_array_equal(cost_line.get_xdata(), np.linspace(-5, 5, 50))
    np.testing.assert_array_equal(cost_line.get_ydata(), result.costs)
    assert list(start.get_xdata()) == [result.start_weight]
    assert list(best.get_ydata()) == [result.best_cost]
    assert "50 evaluations" in ax.get_title()
    extrapolation = ax.get_legend().get_title().get_text()
    assert "All 9 weights at 50 values each" in extrapolation and "50**9 evaluations" in extrapolation
    assert "years" in extrapolation or "seconds" in extrapolation


def test_plot_prediction_contour(mpl, trained_network):
    from matplotlib.text import Annotation

    X, y = sleep_study()
    before = trained_network.get_params()
    fig = plots.plot_prediction_contour(trained_network, X, y, resolution=30)
    (ax,) = fig.axes
    (points,) = ax.get_lines()
    # Training points in raw hours (normalized X times (10, 5)), annotated with raw scores.
    np.testing.assert_allclose(points.get_xdata(), [3, 5, 10])
    np.testing.assert_allclose(points.get_ydata(), [5, 1, 2])
    annotations = [t for t in ax.texts if isinstance(t, Annotation)]  # clabel's are plain Text
    assert sorted(t.get_text() for t in annotations) == ["75", "82", "93"]
    assert ax.get_xlim() == (0, 10) and ax.get_ylim() == (0, 5)
    assert ax.get_xlabel() == "Hours of sleep" and ax.get_ylabel() == "Hours of study"
    # The contour set covers the predicted scores (times 100) over the grid.
    sleep, study = np.meshgrid(np.linspace(0, 10, 30), np.linspace(0, 5, 30))
    predicted = 100 * trained_network.forward(np.column_stack([sleep.ravel() / 10, study.ravel() / 5]))
    contour_sets = [c for c in ax.collections if hasattr(c, "levels")]
    assert len(contour_sets) == 1  # matplotlib >= 3.8 makes the contour set one collection
    contours = contour_sets[0]
    # The same forward pass on the same grid: equal up to rounding (rel=1e-12).
    assert contours.zmin == pytest.approx(predicted.min(), rel=1e-12)
    assert contours.zmax == pytest.approx(predicted.max(), rel=1e-12)
    levels = np.asarray(contours.levels)
    assert levels.size >= 3 and levels.min() <= predicted.min() and predicted.max() <= levels.max()
    # The network is left as it was.
    assert np.array_equal(trained_network.get_params(), before)

    # Raw data and no scores; no data at all.
    X_raw, _ = sleep_study(normalize=False)
    fig = plots.plot_prediction_contour(trained_network, X_raw, data_normalized=False, resolution=20)
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_xdata(), [3, 5, 10])
    assert not fig.axes[0].get_lines()[1:]
    assert plots.plot_prediction_contour(trained_network, resolution=20).axes[0].get_lines() == []


def test_plot_prediction_contour_of_a_flat_network(mpl):
    N = NeuralNetwork(seed=0)
    N.set_params(np.zeros(9))  # predicts 0.5 everywhere: no contour levels, and no warning
    (ax,) = plots.plot_prediction_contour(N, resolution=10).axes
    assert "constant prediction 50" in ax.texts[0].get_text()


def test_plot_prediction_surface(mpl, trained_network):
    X, y = sleep_study()
    fig = plots.plot_prediction_surface(trained_network, X, y, resolution=25)
    (ax,) = fig.axes
    assert ax.name == "3d"
    (points,) = ax.get_lines()
    xs, ys, zs = points.get_data_3d()
    np.testing.assert_allclose(xs, [3, 5, 10])
    np.testing.assert_allclose(ys, [5, 1, 2])
    np.testing.assert_allclose(zs, [75, 82, 93])
    assert len(ax.collections) == 1  # the surface
    assert ax.get_zlabel() == "Test score"
    # The z axis spans the predicted scores.
    sleep, study = np.meshgrid(np.linspace(0, 10, 25), np.linspace(0, 5, 25))
    predicted = 100 * trained_network.forward(np.column_stack([sleep.ravel() / 10, study.ravel() / 5]))
    low, high = ax.get_zlim()
    assert low <= predicted.min() and predicted.max() <= high

    assert plots.plot_prediction_surface(trained_network, resolution=10).axes[0].get_lines() == []
    with pytest.raises(ValueError, match="scores"):
        plots.plot_prediction_surface(trained_network, X, resolution=10)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x_max": (10, 0)}, "x_max"),
        ({"x_max": (10,)}, "x_max"),
        ({"y_scale": -1}, "y_scale"),
        ({"resolution": 1}, "resolution must be at least 2, got 1"),
        ({"resolution": 0}, "resolution must be at least 2, got 0"),
        ({"X": np.ones((3, 3))}, "shape"),
        ({"X": np.ones((3, 2)), "y": np.ones(2)}, "one score per row"),
        ({"y": np.ones(3)}, "without X"),
    ],
)
def test_prediction_plots_reject_bad_arguments(mpl, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_prediction_contour(NeuralNetwork(seed=0), **kwargs)


def test_prediction_grid_is_the_network_on_scaled_hours_and_leaves_it_unchanged(trained_network):
    """prediction_grid (no matplotlib) feeds the network hours / x_max and scales its output by y_scale."""
    before = trained_network.get_params()
    sleep, study, scores, x_max, y_scale = prediction_grid(trained_network, (8, 4), 50.0, resolution=7)
    assert sleep.shape == study.shape == scores.shape == (7, 7) and (x_max, y_scale) == ((8.0, 4.0), 50.0)
    np.testing.assert_array_equal(sleep[0], np.linspace(0, 8, 7))
    np.testing.assert_array_equal(study[:, 0], np.linspace(0, 4, 7))
    expected = 50 * trained_network.forward(np.column_stack([sleep.ravel() / 8, study.ravel() / 4]))
    # The same forward pass on the same inputs: equal up to rounding (rtol=1e-12).
    np.testing.assert_allclose(scores.ravel(), expected.ravel(), rtol=1e-12)
    assert np.array_equal(trained_network.get_params(), before)


def test_prediction_plots_need_a_two_in_one_out_network(mpl):
    with pytest.raises(ValueError, match="2 inputs"):
        plots.plot_prediction_surface(NeuralNetwork((3, 4, 1), seed=0))
    with pytest.raises(ValueError, match="1 output"):
        plots.plot_prediction_contour(NeuralNetwork((2, 4, 2), seed=0))


def test_plot_overfitting(mpl, part7_trainers):
    plain, regularized = part7_trainers
    fig = plots.plot_overfitting(plain, regularized)
    assert len(fig.axes) == 2
    for ax, trainer in zip(fig.axes, (plain, regularized)):
        train_line, test_line = ax.get_lines()
        assert (train_line.get_label(), test_line.get_label()) == ("training", "test")
        np.testing.assert_array_equal(train_line.get_ydata(), trainer.J)
        np.testing.assert_array_equal(test_line.get_ydata(), trainer.test_J)
    assert fig.axes[0].get_title() == "Without regularization (Lambda = 0)"
    assert fig.axes[1].get_title() == "With regularization (Lambda = 0.0001)"

    no_test = Trainer(NeuralNetwork(seed=0), maxiter=5)
    no_test.train(*sleep_study())
    with pytest.raises(ValueError, match="no test costs"):
        plots.plot_overfitting(plain, no_test)
    with pytest.raises(TypeError):
        plots.plot_overfitting(plain, [1.0, 2.0])


def test_save_figure_writes_png_and_creates_directories(mpl, tmp_path, trained_network):
    X, y = sleep_study()
    result = brute_force_cost(NeuralNetwork(seed=0), X, y, n_values=50)
    figures = {
        "sigmoid.png": plots.plot_sigmoid(),
        "cost.png": plots.plot_cost_history([2.0, 1.0], [2.5, 1.5]),
        "brute.png": plots.plot_brute_force_cost(result),
        "contour.png": plots.plot_prediction_contour(trained_network, X, y, resolution=20),
        "surface.png": plots.plot_prediction_surface(trained_network, X, y, resolution=20),
    }
    for name, fig in figures.items():
        target = tmp_path / "deep" / "er" / name
        written = plots.save_figure(fig, target)
        assert written == target
        _png(written)
    # A str path and a suffix that is not .png: still PNG.
    assert plots.save_figure(plots.plot_sigmoid(), str(tmp_path / "plain")) == tmp_path / "plain"
    _png(tmp_path / "plain")


def test_figures_are_not_registered_with_pyplot(mpl):
    # pyplot imported here on purpose: a figure made through it would show up in get_fignums().
    pyplot = pytest.importorskip("matplotlib.pyplot")
    before = pyplot.get_fignums()
    plots.plot_sigmoid()
    assert pyplot.get_fignums() == before


# --------------------------------------------------------------------------- without matplotlib


_PLOT_CALLS = [
    ("plot_sigmoid", lambda: plots.plot_sigmoid()),
    ("plot_network", lambda: plots.plot_network()),
    ("plot_difference_error", lambda: plots.plot_difference_error()),
    ("plot_cost_history", lambda: plots.plot_cost_history([1.0, 0.5])),
    ("plot_prediction_contour", lambda: plots.plot_prediction_contour(NeuralNetwork(seed=0))),
    ("plot_prediction_surface", lambda: plots.plot_prediction_surface(NeuralNetwork(seed=0))),
]


@pytest.fixture
def no_matplotlib(monkeypatch):
    """Make ``import matplotlib`` fail, as if it were not installed."""
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith(("matplotlib.", "mpl_toolkits")):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "mpl_toolkits", None)


def test_require_matplotlib_names_the_pip_command(no_matplotlib):
    with pytest.raises(ImportError, match=r"pip install 'tinygrad-nnd\[plot\]' \(or pip install matplotlib\)"):
        plots._require_matplotlib()


@pytest.mark.parametrize(("name", "call"), _PLOT_CALLS, ids=[name for name, _ in _PLOT_CALLS])
def test_plots_raise_import_error_without_matplotlib(no_matplotlib, name, call):
    with pytest.raises(ImportError, match=r"pip install 'tinygrad-nnd\[plot\]'"):
        call()


def test_brute_force_and_its_extrapolation_work_without_matplotlib(no_matplotlib):
    X, y = sleep_study()
    result = plots.brute_force_cost(NeuralNetwork(seed=0), X, y, n_values=50)
    assert result.costs.shape == (50,) and result.years_for_all_weights > 0
    assert plots.curse_of_dimensionality_years(0.04, 9) == 1268391679350583.5
    with pytest.raises(ImportError, match="pip install"):
        plots.plot_brute_force_cost(result)
    with pytest.raises(ImportError, match="pip install"):
        plots.plot_overfitting(_FakeTrainer(), _FakeTrainer())


class _FakeTrainer:
    J: ClassVar[list[float]] = [2.0, 1.0]
    test_J: ClassVar[list[float]] = [3.0, 2.0]


def _run_python(code: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr


def test_importing_the_package_does_not_import_matplotlib():
    _run_python(
        """
        import sys
        import tinygrad_nnd, tinygrad_nnd.plots
        assert "matplotlib" not in sys.modules, "matplotlib was imported eagerly"
        """
    )


def test_the_package_imports_and_computes_without_matplotlib():
    _run_python(
        """
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        import tinygrad_nnd
        from tinygrad_nnd.datasets import sleep_study
        from tinygrad_nnd.plots import brute_force_cost, curse_of_dimensionality_years, plot_sigmoid
        assert curse_of_dimensionality_years(0.04, 9) == 1268391679350583.5
        assert brute_force_cost(tinygrad_nnd.NeuralNetwork(seed=0), *sleep_study(), n_values=10).costs.shape == (10,)
        try:
            plot_sigmoid()
        except ImportError as error:
            assert "pip install 'tinygrad-nnd[plot]' (or pip install matplotlib)" in str(error), error
        else:
            raise AssertionError("no ImportError")
        """
    )


# --------------------------------------------------------------------------- Part I and Part V figures


def test_plot_network_draws_one_line_per_weight(mpl):
    fig = plots.plot_network((2, 3, 1))
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 * 3 + 3 * 1  # one per weight of W_1 and W_2
    texts = [text.get_text() for text in ax.texts]
    assert {"W_1", "W_2", "Hours of sleep", "Hours of study", "Test score"} <= set(texts)
    assert any(text.startswith("hidden layer") and "(3 units)" in text for text in texts)
    deep = plots.plot_network((4, 5, 5, 3))
    assert len(deep.axes[0].get_lines()) == 4 * 5 + 5 * 5 + 5 * 3
    labels = {text.get_text() for text in deep.axes[0].texts}
    assert {"W_3", "x_4", "y_hat_3", "hidden layer 2\n(5 units)", "output layer\n(3 units)"} <= labels


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"layer_sizes": (2,)}, ValueError),
        ({"layer_sizes": (2, 0, 1)}, ValueError),
        ({"layer_sizes": (2, 1.5, 1)}, TypeError),
        ({"layer_sizes": (2, 3, 1), "input_names": ["only one"]}, ValueError),
    ],
)
def test_plot_network_rejects_bad_arguments(mpl, kwargs, error):
    with pytest.raises(error):
        plots.plot_network(**kwargs)


def test_plot_difference_error_shows_the_orders_of_the_two_differences(mpl):
    """Central differences converge like eps**2, one-sided like eps: the slopes of the drawn errors."""
    fig = plots.plot_difference_error()
    central, one_sided = fig.axes[0].get_lines()[:2]
    assert (central.get_label(), one_sided.get_label()) == ("central difference", "one-sided difference")
    eps = central.get_xdata()
    # Large steps, where truncation dominates rounding: log-log slopes 2 and 1 (to 0.1, since the
    # next term of each Taylor series bends the lines slightly).
    big = (eps >= 1e-3) & (eps <= 1e-1)
    slope_central = np.polyfit(np.log10(eps[big]), np.log10(central.get_ydata()[big]), 1)[0]
    slope_one_sided = np.polyfit(np.log10(eps[big]), np.log10(one_sided.get_ydata()[big]), 1)[0]
    assert slope_central == pytest.approx(2, abs=0.1)
    assert slope_one_sided == pytest.approx(1, abs=0.1)
    # At the series' eps = 1e-4 the central difference is far better than the one-sided one.
    at = np.argmin(np.abs(np.log10(eps) + 4))
    assert central.get_ydata()[at] < 1e-3 * one_sided.get_ydata()[at]


def test_plot_difference_error_takes_any_function(mpl):
    fig = plots.plot_difference_error(np.exp, np.exp, x=0.0, eps=[1e-2, 1e-3])
    central = fig.axes[0].get_lines()[0]
    # exp at 0: the central difference's error is eps**2 / 6 to leading order.
    assert central.get_ydata() == pytest.approx(np.array([1e-2, 1e-3]) ** 2 / 6, rel=1e-2)
    with pytest.raises(ValueError, match="both f and f_prime"):
        plots.plot_difference_error(np.exp)
    with pytest.raises(ValueError, match="positive"):
        plots.plot_difference_error(eps=[1e-3, 0.0])
