"""``tinygrad-nnd demo``: the seed notebook end to end, on the built-in data, in a few seconds.

Sections, each printed as it runs:

1. Part V: the gradient of the seed's 2-3-1 network three ways (autodiff,
   hand-written chain rule, central differences), compared pairwise.
2. Part VI: BFGS on the sleep/study data, with the cost after every iteration.
3. The seed notebook's iris subset (3 flowers, 2 features), trained the same way.
4. Part VII: the four-example training set and its test set. First the network
   of Part VI, which fits the training set until its test cost rises again
   (overfitting); then with regularization (``Lambda = 1e-4``, cost averaged over
   the examples), which brings the error on the test set down.
5. Part III: the brute-force search over one weight, timed, and the
   curse-of-dimensionality extrapolation to all nine weights.
6. The series' figures as PNG files (when matplotlib is installed).

A summary table ends the run; the exit status is 1 if one of its checks failed.
All networks start from ``--seed``, so a run is reproducible.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from .. import plots
from ..datasets import MAX_SCORE, iris_seed_subset, sleep_study, sleep_study_part7
from ..nn import NeuralNetwork, Trainer
from ..nn.gradient_check import NORM_RATIO_LIMIT, format_gradient_checks, three_way_gradient_check, verdict
from .errors import EXIT_CHECK_FAILED, CLIError
from .options import parse_path, parse_seed
from .output import check_new_file, format_cost_history, format_table

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["PLOT_FILES", "SummaryRow", "register", "run"]

#: The figures the demo writes, by file name.
PLOT_FILES = (
    "sigmoid.png",
    "cost_history.png",
    "brute_force_cost.png",
    "prediction_contour.png",
    "prediction_surface.png",
    "overfitting.png",
)
DEFAULT_OUT = "tinygrad_nnd_demo"
INSTALL_PLOT = "pip install 'tinygrad-nnd[plot]'"

#: Part VI: where many starts of the sleep/study network stop (the seed's 0.001227). The series
#: calls it a local minimum; the exact Hessian there has a small negative eigenvalue, so it is a
#: flat saddle region that BFGS leaves too slowly to notice before its gradient tolerance is met.
SLEEP_LOCAL_MINIMUM = 1.226e-3
#: Part VI with seed 0 (``default_rng(0).random`` for W_1 then W_2): the reference run ends at
#: this J, after 32 iterations where it was written. The last digits of every BFGS step depend
#: on the BLAS kernels NumPy picks for the CPU, so the check allows SLEEP_SEED0_TOLERANCE: far
#: above those differences (the final J agreed to 9 digits over 12 OpenBLAS kernels) and far
#: below the spread of the stopping points of other starts (1.2246e-3 to 1.2278e-3). The
#: iteration count is shown, not checked: such differences can add or save an iteration.
SLEEP_SEED0_J = 1.224594e-3
SLEEP_SEED0_TOLERANCE = 1e-7
#: Part VII, Lambda = 1e-4: the regularized minima BFGS reaches (the first from most starts).
PART7_MINIMA = (0.002618, 0.00273, 0.002864)
PART7_LAMBDA = 1e-4
#: Part VII without regularization: the test cost must end this many times above its lowest
#: value to count as overfitting (from seed 0 it ends about 7 times above it).
OVERFIT_RISE = 2.0
#: Part III's figure: nine weights at 0.04 s per 1000 evaluations.
SERIES_SECONDS_PER_1000 = 0.04


@dataclass(frozen=True)
class SummaryRow:
    """One line of the closing table; ``ok`` is None for figures shown for information."""

    check: str
    value: str
    expected: str
    ok: bool | None


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser(
        "demo",
        help="the seed notebook end to end: gradient check, training, Part VII, plots",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seed", type=parse_seed, default=0, help="seed of every network's initial weights (default: 0)"
    )
    parser.add_argument(
        "--out",
        type=parse_path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"folder for the PNG files, created if missing (default: ./{DEFAULT_OUT})",
    )
    parser.add_argument("--force", action="store_true", help="overwrite PNG files left by an earlier run")
    parser.add_argument("--no-plots", action="store_true", help="skip the figures")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run every section, then print the summary."""
    out = sys.stdout
    plot_dir = None if args.no_plots else _plot_folder(Path(args.out), args.force)
    print(f"tinygrad-nnd demo: the 'Neural Networks Demystified' notebook, end to end (seed {args.seed})", file=out)
    rows = _gradient_check(out, args.seed)
    sleep_network, sleep_trainer, sleep_rows = _train_sleep(out, args.seed)
    rows += sleep_rows
    rows += _train_iris_subset(out, args.seed)
    part7, part7_rows = _part7(out, args.seed)
    rows += part7_rows
    brute, brute_rows = _brute_force(out, args.seed)
    rows += brute_rows
    if plot_dir is not None:
        figures = _figure_makers(sleep_network, sleep_trainer, part7, brute)
        rows += _write_plots(out, plot_dir, figures)
    _print_summary(out, rows)
    return EXIT_CHECK_FAILED if any(row.ok is False for row in rows) else 0


def _heading(out: TextIO, text: str) -> None:
    print(f"\n== {text}", file=out)


# --------------------------------------------------------------------------- sections


def _gradient_check(out: TextIO, seed: int) -> list[SummaryRow]:
    """Part V: the seed's network, its gradient three ways."""
    _heading(out, "Part V: gradient check of the 2-3-1 network on the sleep/study data")
    X, y = sleep_study()
    N = NeuralNetwork(seed=seed)
    comparisons = three_way_gradient_check(N, X, y)
    print(format_gradient_checks(comparisons), file=out)
    print(f"  {verdict(comparisons)}", file=out)
    return [
        SummaryRow(
            f"gradient: {c.first} vs {c.second}", f"norm ratio {c.norm_ratio:.2e}", f"< {NORM_RATIO_LIMIT:g}", c.passed
        )
        for c in comparisons
    ]


def _train(
    out: TextIO, N: NeuralNetwork, X: np.ndarray, y: np.ndarray, *test: np.ndarray, history: bool = True
) -> Trainer:
    """BFGS as in the series (maxiter 200); prints SciPy's verdict and, with ``history``, the cost per iteration."""
    trainer = Trainer(N, method="BFGS", maxiter=200)
    result = trainer.train(X, y, *test)
    if history:
        print(f"  cost after each iteration ({len(trainer.J)} iterations):", file=out)
        print(format_cost_history(trainer.J, indent="    "), file=out)
    print(f"  BFGS: {result.message} iterations {result.nit}, function evaluations {result.nfev}", file=out)
    return trainer


def _train_sleep(out: TextIO, seed: int) -> tuple[NeuralNetwork, Trainer, list[SummaryRow]]:
    """Part VI: BFGS on the three sleep/study examples."""
    _heading(out, "Part VI: training with BFGS on the sleep/study data")
    X, y = sleep_study()
    N = NeuralNetwork(seed=seed)
    trainer = _train(out, N, X, y)
    J, nit = trainer.J[-1], trainer.optimization_results.nit
    predictions = ", ".join(f"{v:.2f}" for v in N.forward(X)[:, 0] * MAX_SCORE)
    print(f"  final cost {J:.6e}; predicted scores {predictions} for 75, 82, 93", file=out)
    if abs(J - SLEEP_LOCAL_MINIMUM) < 5e-6:
        print(
            "  (where the seed notebook's printed run stopped too: 0.001227 after 51 iterations; the series calls it\n"
            "   a local minimum, but the exact Hessian has a negative eigenvalue there: Newton-CG goes on to J ~ 0)",
            file=out,
        )
    expected, ok = sleep_check(seed, J, bool(trainer.optimization_results.success))
    return N, trainer, [SummaryRow("BFGS on sleep/study", f"J = {J:.6e} in {nit} iterations", expected, ok)]


def sleep_check(seed: int, J: float, success: bool) -> tuple[str, bool]:
    """What Part VI's run should end at, and whether ``J`` does (with a tolerance, not digit for digit).

    >>> sleep_check(0, 1.2245943e-3, True)
    ('1.224594e-03 +- 1e-07', True)
    """
    if seed == 0:
        return f"{SLEEP_SEED0_J:.6e} +- {SLEEP_SEED0_TOLERANCE:g}", abs(J - SLEEP_SEED0_J) <= SLEEP_SEED0_TOLERANCE
    expected = f"< 1e-06, or the series' stopping point {SLEEP_LOCAL_MINIMUM:.3g}"
    return expected, success and (J < 1e-6 or abs(J - SLEEP_LOCAL_MINIMUM) < 5e-6)


def _train_iris_subset(out: TextIO, seed: int) -> list[SummaryRow]:
    """The seed notebook's second run: the first 3 iris flowers, 2 features, all class 0."""
    _heading(out, "The seed's iris subset (3 flowers, sepal length and width, class 0)")
    X, y = iris_seed_subset()
    trainer = _train(out, NeuralNetwork(seed=seed), X, y)
    J = trainer.J[-1]
    print(f"  final cost {J:.3e} (the seed notebook: 0.000003 after 12 iterations)", file=out)
    return [SummaryRow("BFGS on the iris subset", f"J = {J:.2e}", "< 1e-04 (seed: 3e-06)", J < 1e-4)]


@dataclass(frozen=True)
class _Part7:
    plain: Trainer
    regularized: Trainer


def _rms_points(N: NeuralNetwork, X: np.ndarray, y: np.ndarray) -> float:
    """The typical error of the predictions, in points out of 100 (a root mean square)."""
    return float(np.sqrt(np.mean((N.forward(X) - y) ** 2))) * MAX_SCORE


def _part7(out: TextIO, seed: int) -> tuple[_Part7, list[SummaryRow]]:
    """Part VII: the series' lesson. Part VI's network overfits; regularization brings the test error down."""
    _heading(out, "Part VII: overfitting, testing and regularization (4 training and 4 test examples)")
    X, y, X_test, y_test = sleep_study_part7()
    print("  Without regularization (the network and cost of Part VI):", file=out)
    plain = _train(out, NeuralNetwork(seed=seed), X, y, X_test, y_test, history=False)
    lowest = int(np.argmin(plain.test_J))
    rose = plain.test_J[-1] > OVERFIT_RISE * plain.test_J[lowest]
    print(
        f"  training cost {plain.J[-1]:.2g}; test cost lowest {plain.test_J[lowest]:.4f} (iteration {lowest + 1}), "
        f"at the end {plain.test_J[-1]:.2g}",
        file=out,
    )
    if rose:
        print("  The test cost went down, then up again while the training cost kept falling: overfitting.", file=out)
    else:
        print(
            "  From this seed BFGS stopped before the test cost rose much (no clear overfitting; try --seed 0).",
            file=out,
        )
    print(f"  With regularization (Lambda = {PART7_LAMBDA:g}, cost averaged over the examples):", file=out)
    regularized = _train(
        out, NeuralNetwork(seed=seed, Lambda=PART7_LAMBDA, mean_cost=True), X, y, X_test, y_test, history=False
    )
    J, J_test = regularized.J[-1], regularized.test_J[-1]
    print(f"  training cost {J:.6f}, test cost {J_test:.4f}", file=out)
    # The two costs are on different scales (sum vs mean, plus the penalty); the error in points is not.
    errors = {
        name: (_rms_points(t.N, X, y), _rms_points(t.N, X_test, y_test))
        for name, t in (("plain", plain), ("regularized", regularized))
    }
    for name, (train_error, test_error) in errors.items():
        label = "without regularization:" if name == "plain" else "with regularization:"
        print(
            f"  typical error {label:<24} {train_error:4.1f} points on the training set, {test_error:4.1f} on the test set",
            file=out,
        )
    helped = errors["regularized"][1] < errors["plain"][1]
    known = any(abs(J - minimum) < 1e-5 for minimum in PART7_MINIMA)
    # From seed 0 (the tutorial's run) the lesson must show; other seeds may stop early, so only report.
    lesson_checked = seed == 0
    rows = [
        SummaryRow(
            "Part VII, Lambda=0: test cost rises",
            f"{plain.test_J[lowest]:.4f} -> {plain.test_J[-1]:.2g}",
            f"ends > {OVERFIT_RISE:g}x its lowest" if lesson_checked else "-",
            rose if lesson_checked else None,
        ),
        SummaryRow(
            f"Part VII, Lambda={PART7_LAMBDA:g}: training J",
            f"{J:.6f}",
            " or ".join(f"{m:g}" for m in PART7_MINIMA),
            known,
        ),
        SummaryRow(f"Part VII, Lambda={PART7_LAMBDA:g}: test J", f"{J_test:.4f}", "about 0.0032 at J = 0.002618", None),
        SummaryRow(
            "Part VII: test error, Lambda=1e-4 vs 0",
            f"{errors['regularized'][1]:.1f} vs {errors['plain'][1]:.1f} points",
            "lower with regularization" if lesson_checked else "-",
            helped if lesson_checked else None,
        ),
    ]
    return _Part7(plain, regularized), rows


def _brute_force(out: TextIO, seed: int) -> tuple[plots.BruteForceResult, list[SummaryRow]]:
    """Part III: 1000 values of one weight, timed, and the same search over all nine."""
    _heading(out, "Part III: brute force and the curse of dimensionality")
    X, y = sleep_study()
    result = plots.brute_force_cost(NeuralNetwork(seed=seed), X, y)
    years = result.years_for_all_weights
    series_years = plots.curse_of_dimensionality_years(SERIES_SECONDS_PER_1000, result.n_params)
    print(
        f"  {result.n_values} values of {result.weight_name} in [-5, 5]: {result.seconds:.3g} s "
        f"({result.seconds_per_1000_evals:.3g} s per 1000 evaluations); lowest cost {result.best_cost:.4g} "
        f"at {result.weight_name} = {result.best_weight:.3g}",
        file=out,
    )
    print(
        f"  all {result.n_params} weights at {result.n_values} values each: {result.n_values}**{result.n_params} "
        f"evaluations, about {years:.3g} years at this speed",
        file=out,
    )
    print(f"  (the series, at {SERIES_SECONDS_PER_1000} s per 1000 evaluations: {series_years!r} years)", file=out)
    rows = [
        SummaryRow(
            f"brute force, {result.n_values} evaluations",
            f"{result.seconds:.3g} s",
            "a fraction of a second",
            result.seconds < 1,
        ),
        SummaryRow(
            f"brute force, all {result.n_params} weights",
            f"{years:.3g} years",
            f"{series_years:.3g} years at 0.04 s/1000",
            None,
        ),
    ]
    return result, rows


# --------------------------------------------------------------------------- figures


def _plot_folder(folder: Path, force: bool) -> Path:
    """The output folder, after checking that no figure would overwrite a file without --force."""
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"--out {folder} is a file, not a folder")
    for name in PLOT_FILES:
        check_new_file(folder / name, force, kind="figure", option="--out")
    return folder


def _figure_makers(
    N: NeuralNetwork, trainer: Trainer, part7: _Part7, brute: plots.BruteForceResult
) -> dict[str, Callable[[], Figure]]:
    """How to draw each file of :data:`PLOT_FILES`."""
    X, y = sleep_study()
    return {
        "sigmoid.png": plots.plot_sigmoid,
        "cost_history.png": lambda: plots.plot_cost_history(trainer, title="Part VI: cost vs iterations (BFGS)"),
        "brute_force_cost.png": lambda: plots.plot_brute_force_cost(brute),
        "prediction_contour.png": lambda: plots.plot_prediction_contour(N, X, y),
        "prediction_surface.png": lambda: plots.plot_prediction_surface(N, X, y),
        "overfitting.png": lambda: plots.plot_overfitting(part7.plain, part7.regularized),
    }


def _write_plots(out: TextIO, folder: Path, figures: dict[str, Callable[[], Figure]]) -> list[SummaryRow]:
    """Draw and save every figure; without matplotlib, say how to get it and carry on."""
    _heading(out, f"Figures, as PNG files in {folder}")
    written = []
    try:
        for name, make in figures.items():
            path = plots.save_figure(make(), folder / name)
            print(f"  {path} ({path.stat().st_size} bytes)", file=out)
            written.append(path)
    except ImportError:
        print(f"  matplotlib is not installed, so no figures: {INSTALL_PLOT}", file=out)
        return [SummaryRow("figures", "skipped: no matplotlib", INSTALL_PLOT, None)]
    return [
        SummaryRow(
            "figures",
            f"{len(written)} PNG files in {folder}",
            f"{len(PLOT_FILES)} PNG files",
            len(written) == len(PLOT_FILES),
        )
    ]


# --------------------------------------------------------------------------- summary


def _print_summary(out: TextIO, rows: list[SummaryRow]) -> None:
    _heading(out, "Summary")
    table = [["check", "value", "expected", "ok"]]
    for row in rows:
        table.append([row.check, row.value, row.expected, "-" if row.ok is None else ("yes" if row.ok else "NO")])
    print(format_table(table, indent="  "), file=out)
    failed = sum(row.ok is False for row in rows)
    print(f"\n{'all checks passed' if not failed else f'{failed} check(s) FAILED'}", file=out)
