"""Draw the tutorial's figures: ``python docs/make_figures.py`` (from the repository root).

Every image the pages under ``docs/tutorial/`` show is made here, from the package's
own drawing functions (:mod:`tinygrad_nnd.plots` for the matplotlib figures,
:func:`tinygrad_nnd.viz.draw_graph` for the cost graph with its values and
gradients), on the networks the pages use (``seed=0``, and ``seed=4`` for the fitted
network of Part 6). The files go to ``docs/tutorial/figures/`` unless ``--out DIR``
names another folder; existing files are overwritten.

Needs the ``plot`` extra (matplotlib) and Graphviz's ``dot`` program. The PNG files
are drawn at a modest resolution (:data:`DPI`) so that the repository stays small.
``tests/test_doc_figures.py`` runs this script and checks that it writes every image
a page links to.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from tinygrad_nnd import NeuralNetwork, Trainer
from tinygrad_nnd.datasets import sleep_study, sleep_study_part7

#: Where the pages expect their figures.
DEFAULT_OUT = Path(__file__).resolve().parent / "tutorial" / "figures"
#: Resolution of the PNG files: the figures are 8 x 5 inches, so about 580 x 360 pixels.
DPI = 72


def _network(out: Path) -> Path:
    from tinygrad_nnd import plots

    return plots.save_figure(plots.plot_network((2, 3, 1)), out / "network.png", dpi=DPI)


def _sigmoid(out: Path) -> Path:
    from tinygrad_nnd import plots

    return plots.save_figure(plots.plot_sigmoid(), out / "sigmoid.png", dpi=DPI)


def _brute_force(out: Path) -> Path:
    from tinygrad_nnd import plots

    X, y = sleep_study()
    sweep = plots.brute_force_cost(NeuralNetwork(seed=0), X, y, n_values=1000, weight_index=6)
    return plots.save_figure(plots.plot_brute_force_cost(sweep), out / "brute_force_cost.png", dpi=DPI)


def _cost_graph(out: Path) -> Path:
    from tinygrad_nnd.viz import draw_graph, network_cost_graph

    J = network_cost_graph(NeuralNetwork(seed=0), *sleep_study())
    J.backward()  # so that the drawing shows every tensor's gradient next to its value
    drawing = draw_graph(J, title="The cost J of the 2-3-1 network (seed 0), values and gradients")
    return drawing.save(out / "cost_graph.svg")


def _difference_error(out: Path) -> Path:
    from tinygrad_nnd import plots

    return plots.save_figure(plots.plot_difference_error(), out / "difference_error.png", dpi=DPI)


def _cost_history(out: Path) -> Path:
    from tinygrad_nnd import plots

    T = Trainer(NeuralNetwork(seed=0))
    T.train(*sleep_study())
    figure = plots.plot_cost_history(T, title="Part 6: the cost after each BFGS iteration (seed 0)")
    return plots.save_figure(figure, out / "cost_history.png", dpi=DPI)


def _fitted_network() -> NeuralNetwork:
    """Part 6's network from ``seed=4``, which BFGS fits to all three scores."""
    N = NeuralNetwork(seed=4)
    Trainer(N).train(*sleep_study())
    return N


def _prediction_contour(out: Path) -> Path:
    from tinygrad_nnd import plots

    figure = plots.plot_prediction_contour(_fitted_network(), *sleep_study())
    return plots.save_figure(figure, out / "prediction_contour.png", dpi=DPI)


def _prediction_surface(out: Path) -> Path:
    from tinygrad_nnd import plots

    figure = plots.plot_prediction_surface(_fitted_network(), *sleep_study())
    return plots.save_figure(figure, out / "prediction_surface.png", dpi=DPI)


def _overfitting(out: Path) -> Path:
    from tinygrad_nnd import plots

    data = sleep_study_part7()
    plain = Trainer(NeuralNetwork(seed=0))  # Part 6's network and cost: it overfits
    plain.train(*data)
    regularized = Trainer(NeuralNetwork(seed=0, Lambda=1e-4, mean_cost=True))
    regularized.train(*data)
    return plots.save_figure(plots.plot_overfitting(plain, regularized), out / "overfitting.png", dpi=DPI)


#: Every figure, by file name, with the function that draws it into a folder.
FIGURES: dict[str, Callable[[Path], Path]] = {
    "network.png": _network,
    "sigmoid.png": _sigmoid,
    "brute_force_cost.png": _brute_force,
    "cost_graph.svg": _cost_graph,
    "difference_error.png": _difference_error,
    "cost_history.png": _cost_history,
    "prediction_contour.png": _prediction_contour,
    "prediction_surface.png": _prediction_surface,
    "overfitting.png": _overfitting,
}


def make_figures(out: Path = DEFAULT_OUT) -> list[Path]:
    """Draw every figure of :data:`FIGURES` into ``out`` (created if missing); return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    return [draw(out) for draw in FIGURES.values()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for the images (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    for path in make_figures(args.out):
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
