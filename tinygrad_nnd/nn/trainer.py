"""Training with SciPy (Part VI): ``scipy.optimize.minimize`` on the network's cost and gradient."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .network import NeuralNetwork

if TYPE_CHECKING:
    from scipy import optimize

#: SciPy methods that use a gradient (``jac=True``).
GRADIENT_METHODS = ("BFGS", "L-BFGS-B", "CG", "Newton-CG", "SLSQP", "trust-ncg", "trust-krylov", "trust-constr")
#: Of those, the ones that also take Hessian-vector products (``hessp=``).
HESSP_METHODS = ("Newton-CG", "trust-ncg", "trust-krylov", "trust-constr")
#: Methods that keep dense ``n_params x n_params`` float64 matrices, and about how many at once:
#: BFGS its inverse-Hessian estimate and the two factors and product of each update; SLSQP its
#: quasi-Newton matrix and the least-squares work array built from it.
DENSE_MATRIX_METHODS = {"BFGS": 4, "SLSQP": 2}
#: The largest iteration limit: SciPy hands maxiter to Fortran code as a 32-bit integer.
MAX_MAXITER = 2**31 - 1


class TrainingMemoryError(MemoryError):
    """A method that would need more memory than the machine has; the message suggests another."""


def method_memory(method: str, n_params: int) -> int:
    """About how many bytes ``method`` keeps for ``n_params`` weights beyond the network itself.

    >>> method_memory("BFGS", 50_000) / 1e9    # four 50,000 x 50,000 float64 matrices
    80.0
    >>> method_memory("L-BFGS-B", 50_000)      # a few vectors: nothing to speak of
    0
    """
    return DENSE_MATRIX_METHODS.get(method, 0) * 8 * n_params**2


def available_memory() -> int | None:
    """Bytes of memory this machine can still give (``MemAvailable``, else all of it), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def check_method_memory(method: str, n_params: int, available: int | None = None) -> None:
    """A :class:`TrainingMemoryError` if ``method`` needs more memory than is ``available``.

    ``available`` defaults to :func:`available_memory`; nothing is checked when it is unknown.
    """
    needed = method_memory(method, n_params)
    available = available_memory() if available is None else available
    if not needed or available is None or needed <= available:
        return
    raise TrainingMemoryError(
        f"{method} keeps dense {n_params:,} x {n_params:,} matrices for {n_params:,} weights: about "
        f"{format_bytes(needed)} of memory, and this machine has {format_bytes(available)} available; "
        "use method L-BFGS-B, which keeps only a few vectors of that size"
    )


def format_bytes(n: float) -> str:
    """``"20 GB"``: bytes in decimal units, to 2 significant digits.

    >>> format_bytes(2.04e10), format_bytes(512)
    ('20 GB', '512 bytes')
    """
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.2g} {unit}"
    return f"{int(n)} bytes"


class Trainer:
    """Fit a :class:`NeuralNetwork` with ``scipy.optimize.minimize``, as in the series.

    Parameters
    ----------
    N : NeuralNetwork
        The network; :meth:`train` leaves it at the optimum found.
    method : str, optional
        A SciPy method that uses a gradient (see :data:`GRADIENT_METHODS`). The
        second-order ones (``Newton-CG``, ``trust-ncg``, ...) also get exact
        Hessian-vector products from the engine.
    maxiter : int, optional
        The iteration limit (the series uses 200), at most :data:`MAX_MAXITER`.
    disp : bool, optional
        Let SciPy print its convergence message.
    gradient : {"autodiff", "chain_rule"}, optional
        Where the gradient comes from: automatic differentiation
        (:meth:`NeuralNetwork.cost_and_gradients`) or the series' hand-written
        chain rule (:meth:`NeuralNetwork.cost_function_prime`).

    Raises
    ------
    TrainingMemoryError
        If ``method`` keeps dense matrices (BFGS, SLSQP) that would not fit in the
        memory available for this network (the message suggests ``L-BFGS-B``).

    Attributes
    ----------
    J : list of float
        The training cost after each iteration.
    test_J : list of float
        The test cost after each iteration (when test data was given).
    optimization_results : scipy.optimize.OptimizeResult
        What SciPy returned.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork, Trainer
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> X, y = sleep_study()
    >>> T = Trainer(NeuralNetwork(seed=0))
    >>> result = T.train(X, y)
    >>> result.success, round(T.J[-1], 5)  # 3 digits: the last ones depend on the CPU's BLAS kernels
    (True, 0.00122)
    """

    def __init__(
        self,
        N: NeuralNetwork,
        *,
        method: str = "BFGS",
        maxiter: int = 200,
        disp: bool = False,
        gradient: str = "autodiff",
    ) -> None:
        if method not in GRADIENT_METHODS:
            raise ValueError(f"Trainer: unknown method {method!r}; choose one of {', '.join(GRADIENT_METHODS)}")
        if gradient not in ("autodiff", "chain_rule"):
            raise ValueError(f"Trainer: gradient must be 'autodiff' or 'chain_rule', got {gradient!r}")
        if not 1 <= int(maxiter) <= MAX_MAXITER:
            raise ValueError(f"Trainer: maxiter must be between 1 and {MAX_MAXITER}, got {maxiter!r}")
        check_method_memory(method, N.n_params)
        self.N = N
        self.method = method
        self.maxiter = int(maxiter)
        self.disp = bool(disp)
        self.gradient = gradient
        self.J: list[float] = []
        self.test_J: list[float] = []

    def cost_function_wrapper(self, params: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """``(J, dJ/dparams)`` at ``params``: the function SciPy minimizes (``jac=True``)."""
        self.N.set_params(params)
        if self.gradient == "autodiff":
            return self.N.cost_and_gradients(X, y)
        return self.N.cost_and_gradients_by_hand(X, y)

    def hessian_vector_product(self, params: np.ndarray, v: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``H(params) @ v`` for the cost, exact, from the engine (SciPy's ``hessp``)."""
        return self.N.hessian_vector_product(params, v, X, y)

    def train(
        self,
        X: Any,
        y: Any,
        X_test: Any = None,
        y_test: Any = None,
        *,
        callback: Callable[[int, float, float | None], None] | None = None,
    ) -> optimize.OptimizeResult:
        """Minimize the cost on ``(X, y)``; also record the cost on ``(X_test, y_test)`` if given.

        ``callback(iteration, J, test_J)``, if given, is called after each iteration
        with the costs just recorded (``test_J`` is None without test data), for
        progress reports.

        Returns
        -------
        scipy.optimize.OptimizeResult
            Also kept as :attr:`optimization_results`. The network is left at ``result.x``.
        """
        X, y = self.N.check_data(X, y)
        has_test = X_test is not None or y_test is not None
        if has_test:
            if X_test is None or y_test is None:
                raise ValueError("train: give both X_test and y_test, or neither")
            X_test, y_test = self.N.check_data(X_test, y_test)
        self.X, self.y = X, y
        self.J, self.test_J = [], []

        def record(params: np.ndarray, *_: Any) -> None:  # trust-constr passes a state too
            self.N.set_params(params)
            self.J.append(self.N.cost_function(X, y))
            if has_test:
                self.test_J.append(self.N.cost_function(X_test, y_test))
            if callback is not None:
                callback(len(self.J), self.J[-1], self.test_J[-1] if has_test else None)

        options: dict[str, Any] = {"maxiter": self.maxiter}
        if self.disp:  # only when asked: L-BFGS-B warns that its disp option is deprecated
            options["disp"] = True
        extra: dict[str, Any] = {}
        if self.method in HESSP_METHODS:
            extra["hessp"] = self.hessian_vector_product
        # Imported here: scipy.optimize takes a quarter of a second to load, which every
        # command line call and `import tinygrad_nnd.nn` would otherwise pay.
        from scipy import optimize

        result = optimize.minimize(
            self.cost_function_wrapper,
            self.N.get_params(),
            args=(X, y),
            jac=True,
            method=self.method,
            options=options,
            callback=record,
            **extra,
        )
        self.N.set_params(result.x)
        self.optimization_results = result
        return result
