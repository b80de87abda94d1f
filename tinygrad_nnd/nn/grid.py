"""Parts VI and VII: the network's predicted test score over a grid of hours of sleep and of study.

:func:`prediction_grid` computes what :func:`tinygrad_nnd.plots.plot_prediction_contour`
and :func:`~tinygrad_nnd.plots.plot_prediction_surface` draw; it needs no matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .._arguments import whole_number
from .network import scratch_copy

__all__ = ["PredictionGrid", "prediction_grid"]


class PredictionGrid(NamedTuple):
    """What :func:`prediction_grid` returns (unpacks in this order).

    Attributes
    ----------
    sleep, study : ndarray
        Hours of sleep and of study (raw), ``(resolution, resolution)`` each, as
        :func:`numpy.meshgrid` makes them.
    scores : ndarray
        The predicted score at each point, the network's output times ``y_scale``.
    x_max : (float, float)
        The training maxima the inputs were scaled by (sleep, study).
    y_scale : float
        The score of an output of 1.
    """

    sleep: np.ndarray
    study: np.ndarray
    scores: np.ndarray
    x_max: tuple[float, float]
    y_scale: float


def prediction_grid(N: Any, x_max: Sequence[float], y_scale: float, resolution: int) -> PredictionGrid:
    """The predicted test score over hours of sleep ``0..x_max[0]`` x hours of study ``0..x_max[1]``.

    The network sees the hours scaled by the training maxima ``x_max``, as the
    data are; its output is scaled back to a score by ``y_scale``. ``N`` is not
    changed (it runs on a scratch copy).

    Parameters
    ----------
    N : NeuralNetwork
        A network with 2 inputs and 1 output.
    x_max : (float, float)
        The training maxima of hours of sleep and of study, both finite and > 0.
    y_scale : float
        The score of an output of 1 (the series' maximum score), finite and > 0.
    resolution : int
        Points along each axis (>= 2).

    Returns
    -------
    PredictionGrid
        ``(sleep, study, scores, x_max, y_scale)``, the grids of shape
        ``(resolution, resolution)``.

    Raises
    ------
    TypeError, ValueError
        If an argument is out of range, or the network does not have 2 inputs and 1 output.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork
    >>> grid = prediction_grid(NeuralNetwork(seed=0), (10, 5), 100.0, resolution=3)
    >>> grid.sleep[0].tolist(), grid.study[:, 0].tolist(), grid.scores.shape
    ([0.0, 5.0, 10.0], [0.0, 2.5, 5.0], (3, 3))
    """
    try:
        sleep_max, study_max = (float(v) for v in x_max)
    except (TypeError, ValueError):
        raise ValueError(f"x_max must be two numbers (hours of sleep, hours of study), got {x_max!r}") from None
    if not all(math.isfinite(v) and v > 0 for v in (sleep_max, study_max)):
        raise ValueError(f"x_max must be two finite numbers > 0, got {x_max!r}")
    y_scale = float(y_scale)
    if not math.isfinite(y_scale) or y_scale <= 0:
        raise ValueError(f"y_scale must be a finite number > 0, got {y_scale!r}")
    resolution = whole_number(resolution, "resolution", minimum=2)
    for attr, expected in (("input_layer_size", 2), ("output_layer_size", 1)):
        size = getattr(N, attr, expected)
        if size != expected:
            raise ValueError(
                f"the prediction plots need a network with 2 inputs (sleep, study) and 1 output (score); "
                f"this one has {attr} = {size}"
            )
    sleep, study = np.meshgrid(np.linspace(0, sleep_max, resolution), np.linspace(0, study_max, resolution))
    inputs = np.column_stack([sleep.ravel() / sleep_max, study.ravel() / study_max])
    scores = np.asarray(scratch_copy(N).forward(inputs), dtype=np.float64).reshape(sleep.shape) * y_scale
    return PredictionGrid(sleep, study, scores, (sleep_max, study_max), y_scale)
