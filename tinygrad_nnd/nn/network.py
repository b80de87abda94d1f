"""The network of "Neural Networks Demystified": sigmoid layers, no biases, squared-error cost.

With ``a_1 = X`` and ``f`` the sigmoid, layer ``l`` computes

.. math:: z_{l+1} = a_l W_l, \\qquad a_{l+1} = f(z_{l+1}),

and the last activation is the prediction ``y_hat``. The cost (Parts III-VI),
optionally averaged over the ``N`` examples and regularized (Part VII), is

.. math:: J = \\frac{1}{2} \\sum (y - \\hat y)^2 \\; [/N] \\; + \\frac{\\Lambda}{2} \\sum_l \\sum W_l^2 .

Two options, off by default, turn it into a small classifier (the iris example):
``bias=True`` adds a bias row vector ``b_l`` to every layer, ``z_{l+1} = a_l W_l + b_l``
(broadcast over the examples, so its gradient is ``delta_{l+1}`` summed over them), and
``output="softmax"`` makes the last layer a softmax, ``y_hat = softmax(z_{L+1})``, with the
cross-entropy cost :math:`J = -\\sum y \\log \\hat y` in place of the squared error (the regularization
term still covers the weights only).

Its gradient is available two ways, which the test suite proves equal:

- :meth:`NeuralNetwork.cost_function_prime`: the series' hand-written chain rule
  (Part IV), one ``delta`` per layer;
- :meth:`NeuralNetwork.compute_gradients`: automatic, from the graph of Tensor
  ops that :meth:`NeuralNetwork.cost_tensor` records.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._arguments import integer
from ..engine import Tensor, jit
from ..engine.compiler import Program, build
from ..engine.jit import Jitted, trace
from ..engine.ops import softmax_cross_entropy_forward, softmax_forward
from .activations import sigmoid, sigmoid_prime

#: The activations of the last layer: the series' sigmoid (squared-error cost), or softmax (cross-entropy).
OUTPUTS = ("sigmoid", "softmax")


def _softmax(z: Any) -> Any:
    """Softmax over each row (the classes), for arrays or Tensors."""
    return z.softmax(axis=-1) if isinstance(z, Tensor) else softmax_forward(z, -1)


def _cross_entropy(z: Any, y: Any) -> Any:
    """The cross-entropy of ``softmax(z)`` against ``y``, one value per row, from the logits ``z``."""
    if isinstance(z, Tensor):
        return z.softmax_cross_entropy(y, axis=-1)
    return softmax_cross_entropy_forward(z, np.asarray(getattr(y, "data", y)), -1)


#: The initial weights :class:`NeuralNetwork` can draw (its ``init``).
INIT_CHOICES = ("uniform", "fan_in")


def param_layout(layer_sizes: Sequence[int], bias: bool) -> list[tuple[str, tuple[int, ...], int]]:
    """``(name, shape, offset)`` of each parameter of a network in one flat vector: ``W_1 ... W_L``, then
    ``b_1 ... b_L`` with biases. The one place that lays the vector out (and names the model file's entries).

    >>> param_layout((2, 3, 1), bias=True)
    [('W_1', (2, 3), 0), ('W_2', (3, 1), 6), ('b_1', (3,), 9), ('b_2', (1,), 12)]
    """
    n_layers = len(layer_sizes) - 1
    named: list[tuple[str, tuple[int, ...]]] = [
        (f"W_{l}", (layer_sizes[l - 1], layer_sizes[l])) for l in range(1, n_layers + 1)
    ]
    if bias:
        named += [(f"b_{l}", (layer_sizes[l],)) for l in range(1, n_layers + 1)]
    layout, start = [], 0
    for name, shape in named:
        layout.append((name, shape, start))
        start += int(np.prod(shape))
    return layout


def _data_nodes(X: np.ndarray, y: np.ndarray) -> tuple[Tensor, Tensor]:
    """The data as constant graph nodes named as in the series, ``X`` and ``y`` (for graph views)."""
    return Tensor(X, name="X"), Tensor(y, name="y")


class NeuralNetwork:
    """A fully connected sigmoid network without biases, as in the series.

    ``NeuralNetwork()`` is the series' 2-3-1 network with weights drawn uniformly
    from [0, 1) (``np.random.rand``, so ``np.random.seed`` makes it repeatable).

    Parameters
    ----------
    layer_sizes : sequence of int, optional
        Units per layer, inputs first and outputs last: ``(2, 3, 1)`` by default,
        ``(4, 5, 5, 3)`` for two hidden layers.
    seed : int, optional
        Draw the initial weights from ``np.random.default_rng(seed).random``
        (``W_1`` first) instead of NumPy's global generator.
    Lambda : float, optional
        Weight of the Part VII regularization term ``(Lambda / 2) * sum(W**2)``.
    mean_cost : bool, optional
        Divide the squared error by the number of examples (Part VII's cost).
    init : {"uniform", "fan_in"}, optional
        The initial weights. ``"uniform"`` (the default, as in the seed notebook):
        uniform in [0, 1). That suits the series' 2-3-1 network, but in a wide
        layer the sum of many positive weights saturates the sigmoids, whose
        gradient is then all but zero, and training stops before it starts.
        ``"fan_in"``: uniform in ``[-a, a)`` with ``a = sqrt(3 / n_in)``, ``n_in``
        the layer's inputs (its fan-in), so each ``z`` has the variance of one
        input whatever the width (LeCun's scaling). Both draw the same random
        numbers from ``seed``.
    bias : bool, optional
        Give every layer a bias ``b_l`` of shape ``(layer_sizes[l],)``, starting at 0
        (the weights are drawn exactly as without biases).
    output : {"sigmoid", "softmax"}, optional
        The last layer's activation: the series' sigmoid with the squared-error cost,
        or a softmax with the cross-entropy cost (for one-hot class labels).

    Attributes
    ----------
    W_1, W_2, ... : ndarray
        The weights; ``W_l`` has shape ``(layer_sizes[l-1], layer_sizes[l])``.
    b_1, b_2, ... : ndarray
        With ``bias=True``: the biases; ``b_l`` has shape ``(layer_sizes[l],)``.
    input_layer_size, output_layer_size : int
    hidden_layer_size : int or tuple of int
        The hidden layer's size (a tuple of sizes when there are several).
    z_2, a_2, z_3, ... : ndarray
        Set by :meth:`forward`, as in the series.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> X, y = sleep_study()
    >>> N = NeuralNetwork(seed=0)
    >>> N.W_1.shape, N.W_2.shape
    ((2, 3), (3, 1))
    >>> import numpy as np
    >>> dJ_dW_1, dJ_dW_2 = N.cost_function_prime(X, y)
    >>> np.allclose(N.compute_gradients(X, y), np.concatenate([dJ_dW_1.ravel(), dJ_dW_2.ravel()]))
    True
    """

    def __init__(
        self,
        layer_sizes: Sequence[int] = (2, 3, 1),
        *,
        seed: int | None = None,
        Lambda: float = 0.0,
        mean_cost: bool = False,
        init: str = "uniform",
        bias: bool = False,
        output: str = "sigmoid",
    ) -> None:
        sizes = tuple(int(n) for n in layer_sizes)
        if len(sizes) < 2 or any(n < 1 for n in sizes) or any(n != m for n, m in zip(sizes, layer_sizes)):
            raise ValueError(f"NeuralNetwork: layer_sizes must be at least two positive integers, got {layer_sizes!r}")
        if not np.isfinite(Lambda) or Lambda < 0:
            raise ValueError(f"NeuralNetwork: Lambda must be a finite number >= 0, got {Lambda!r}")
        if output not in OUTPUTS:
            raise ValueError(f"NeuralNetwork: output must be one of {', '.join(map(repr, OUTPUTS))}, got {output!r}")
        self.layer_sizes = sizes
        self.Lambda = float(Lambda)
        self.mean_cost = bool(mean_cost)
        if init not in INIT_CHOICES:
            raise ValueError(f"NeuralNetwork: init must be one of {', '.join(map(repr, INIT_CHOICES))}, got {init!r}")
        self.bias = bool(bias)
        self.output = output
        if seed is None:
            uniform = [np.random.rand(n_in, n_out) for n_in, n_out in self._weight_shapes()]
        else:
            rng = np.random.default_rng(seed)
            uniform = [rng.random((n_in, n_out)) for n_in, n_out in self._weight_shapes()]
        if init == "fan_in":  # [0, 1) -> [-a, a), a = sqrt(3 / fan_in): variance 1 / fan_in
            uniform = [(2 * u - 1) * np.sqrt(3 / u.shape[0]) for u in uniform]
        self.weights = uniform
        self.biases = [np.zeros(n_out) for n_out in self.layer_sizes[1:]] if self.bias else []

    # ---------------------------------------------------------------- shape and parameters

    @property
    def input_layer_size(self) -> int:
        return self.layer_sizes[0]

    @property
    def output_layer_size(self) -> int:
        return self.layer_sizes[-1]

    @property
    def hidden_layer_size(self) -> int | tuple[int, ...]:
        hidden = self.layer_sizes[1:-1]
        return hidden[0] if len(hidden) == 1 else hidden

    @property
    def n_layers(self) -> int:
        """The number of weight matrices ``L`` (one more than the hidden layers)."""
        return len(self.layer_sizes) - 1

    def _weight_shapes(self) -> list[tuple[int, int]]:
        return list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))

    @property
    def weights(self) -> list[np.ndarray]:
        """``[W_1, ..., W_L]`` (the attributes themselves; setting the list checks shapes)."""
        return [getattr(self, f"W_{l}") for l in range(1, self.n_layers + 1)]

    @weights.setter
    def weights(self, weights: Sequence[np.ndarray]) -> None:
        self._set_arrays("weights", "W", weights, self._weight_shapes(), "matrices", "")

    @property
    def biases(self) -> list[np.ndarray]:
        """``[b_1, ..., b_L]`` with ``bias=True``, else ``[]`` (setting the list checks shapes)."""
        return [getattr(self, f"b_{l}") for l in range(1, self.n_layers + 1)] if self.bias else []

    @biases.setter
    def biases(self, biases: Sequence[np.ndarray]) -> None:
        shapes = [(n,) for n in self.layer_sizes[1:]] if self.bias else []
        self._set_arrays("biases", "b", biases, shapes, "vectors", f" (bias={self.bias})")

    def _set_arrays(
        self,
        what: str,
        prefix: str,
        arrays: Sequence[np.ndarray],
        shapes: Sequence[tuple[int, ...]],
        kind: str,
        note: str,
    ) -> None:
        """Set ``W_1 ...`` or ``b_1 ...`` from ``arrays``, checking their number and shapes first."""
        if len(arrays) != len(shapes):
            raise ValueError(
                f"{what}: expected {len(shapes)} {kind} for layers {self.layer_sizes}{note}, got {len(arrays)}"
            )
        for l, (a, shape) in enumerate(zip(arrays, shapes), start=1):
            a = np.array(a, dtype=np.float64)  # a copy: the caller's array stays theirs
            if a.shape != shape:
                raise ValueError(f"{what}: {prefix}_{l} must have shape {shape}, got {a.shape}")
            setattr(self, f"{prefix}_{l}", a)

    def param_layout(self) -> list[tuple[str, tuple[int, ...], int]]:
        """``(name, shape, offset)`` of each parameter in the flat vector of :meth:`get_params`.

        >>> NeuralNetwork().param_layout()
        [('W_1', (2, 3), 0), ('W_2', (3, 1), 6)]
        """
        return param_layout(self.layer_sizes, self.bias)

    @property
    def params(self) -> list[np.ndarray]:
        """``[W_1, ..., W_L]``, then ``[b_1, ..., b_L]`` with ``bias=True``."""
        return self.weights + self.biases

    @property
    def n_params(self) -> int:
        return sum(int(np.prod(shape)) for _, shape, _ in self.param_layout())

    def param_name(self, index: int) -> str:
        """The name of entry ``index`` of :meth:`get_params`' vector, as the series writes it.

        Parameters
        ----------
        index : int
            A position in the vector, from 0 to ``n_params - 1``.

        Returns
        -------
        str
            The parameter and the element, such as ``"W_1[1, 0]"``.

        Raises
        ------
        TypeError
            If ``index`` is not an integer.
        IndexError
            If it is negative or ``n_params`` or more.

        Examples
        --------
        >>> N = NeuralNetwork()
        >>> N.param_name(3), N.param_name(6), N.n_params
        ('W_1[1, 0]', 'W_2[0, 0]', 9)
        """
        index = integer(index, "param_name: index")
        for name, shape, start in self.param_layout():
            if start <= index < start + int(np.prod(shape)):
                position = ", ".join(str(i) for i in np.unravel_index(index - start, shape))
                return f"{name}[{position}]"
        raise IndexError(
            f"param_name: index {index} is outside the {self.n_params} parameters (0 to {self.n_params - 1})"
        )

    def get_params(self) -> np.ndarray:
        """All parameters as one vector: ``W_1.ravel()``, ``W_2.ravel()``, ..., then ``b_1``, ``b_2``, ... with biases."""
        return np.concatenate([p.ravel() for p in self.params])

    def _named_pieces(self, params: Any) -> list[tuple[str, Any]]:
        """A flat vector (array or Tensor) cut into ``(name, piece)`` pairs, as :meth:`get_params` lays it out."""
        return [
            (name, params[start : start + int(np.prod(shape))].reshape(shape))
            for name, shape, start in self.param_layout()
        ]

    def set_params(self, params: Any) -> None:
        """Set all parameters from one vector laid out as :meth:`get_params` gives it (copied)."""
        params = np.asarray(params, dtype=np.float64)
        if params.shape != (self.n_params,):
            raise ValueError(
                f"set_params: expected a vector of {self.n_params} parameters for layers "
                f"{self.layer_sizes}, got shape {params.shape}"
            )
        for name, piece in self._named_pieces(params):
            setattr(self, name, piece.copy())

    # ---------------------------------------------------------------- data checks

    def check_data(self, X: Any, y: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
        """``X`` (and ``y``) as float arrays, or a ValueError that says what does not fit.

        ``X`` must be ``(n, input_layer_size)`` and ``y`` ``(n, output_layer_size)``,
        both finite; with ``mean_cost``, ``n`` must be at least 1.
        """
        X = _as_2d_float(X, "X")
        if X.shape[1] != self.input_layer_size:
            raise ValueError(
                f"X has {X.shape[1]} columns but the network has {self.input_layer_size} inputs "
                f"(layer_sizes {self.layer_sizes})"
            )
        _check_finite(X, "X")
        if y is None:
            return X, None
        y = _as_2d_float(y, "y")
        if y.shape != (X.shape[0], self.output_layer_size):
            raise ValueError(
                f"y has shape {y.shape} but X has {X.shape[0]} rows and the network has "
                f"{self.output_layer_size} outputs: y must be {(X.shape[0], self.output_layer_size)}"
            )
        _check_finite(y, "y")
        if self.mean_cost and X.shape[0] == 0:
            raise ValueError("X has no rows: the mean cost (mean_cost=True) over zero examples is undefined")
        return X, y

    # ---------------------------------------------------------------- forward and cost

    def _layers(self, X: Any, weights: Sequence[Any], biases: Sequence[Any] = ()) -> Iterator[tuple[Any, Any]]:
        """``(z_{l+1}, a_{l+1})`` layer after layer: ``z = a W [+ b]``, ``a = f(z)``, for arrays or Tensors.

        ``f`` is the sigmoid, except for the last layer of a softmax network.
        """
        a = X
        last = len(weights) - 1
        for l, W in enumerate(weights):
            z = a @ W
            if biases:
                z = z + biases[l]  # b broadcasts over the rows (the examples)
            a = _softmax(z) if l == last and self.output == "softmax" else sigmoid(z)
            yield z, a

    def _cost(self, X: Any, y: Any, weights: Sequence[Any], biases: Sequence[Any] = ()) -> Any:
        """The cost, written once for NumPy arrays and for Tensors (which record the graph)."""
        z = y_hat = X
        for l, (z, y_hat) in enumerate(self._layers(X, weights, biases), start=2):
            if isinstance(z, Tensor):  # labels for graph views: the series' names
                z.name, y_hat.name = f"z_{l}", ("y_hat" if l == len(weights) + 1 else f"a_{l}")
        return self._cost_of_prediction(y_hat, y, weights, z)

    def _cost_of_prediction(self, y_hat: Any, y: Any, weights: Sequence[Any], z_out: Any = None) -> Any:
        """``J`` from the prediction: the data term (per example with ``mean_cost``) plus the Part VII term.

        The data term is the squared error, or for a softmax output the cross-entropy,
        computed from the last layer's ``z_out`` (logits) so that it stays finite.
        """
        if self.output == "softmax":
            J = _cross_entropy(z_out, y).sum()
        else:
            J = 0.5 * ((y - y_hat) ** 2).sum()
        if self.mean_cost:
            J = J / y.shape[0]
        if self.Lambda:
            J = J + (self.Lambda / 2) * sum((W**2).sum() for W in weights)
        return J

    def forward(self, X: Any) -> np.ndarray:
        """Propagate ``X`` through the network: the prediction ``y_hat``, shape ``(n, outputs)``.

        Sets ``z_2, a_2, ..., z_{L+1}`` as attributes, as the series does.
        """
        X, _ = self.check_data(X)
        return self._forward(X)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """:meth:`forward` on data already checked."""
        a = X
        for l, (z, a) in enumerate(self._layers(X, self.weights, self.biases), start=2):
            setattr(self, f"z_{l}", z)
            if l <= self.n_layers:
                setattr(self, f"a_{l}", a)
        return a

    predict = forward

    def cost_function(self, X: Any, y: Any) -> float:
        """The cost ``J`` at the current weights (see the module docstring)."""
        X, y = self.check_data(X, y)
        return float(self._cost(X, y, self.weights, self.biases))

    def cost_tensor(self, X: Any, y: Any, weights: Sequence[Tensor], biases: Sequence[Tensor] | None = None) -> Tensor:
        """The cost as a Tensor whose graph leads back to the given weight (and bias) Tensors.

        With ``bias=True`` and no ``biases`` given, the current biases are constants.
        Intermediate nodes are named ``z_2``, ``a_2``, ..., ``y_hat``, and the data ``X`` and ``y``, for graph views.
        """
        X, y = self.check_data(X, y)
        return self._cost(*_data_nodes(X, y), weights, self.biases if biases is None else biases)

    def cost_of_params(self, params: Tensor, X: Any, y: Any) -> Tensor:
        """The cost as a function of one flat parameter Tensor (laid out as :meth:`get_params`).

        The vector is cut into weight matrices with slicing and ``reshape``, both
        graph ops, so :func:`~tinygrad_nnd.value_and_grad` and
        :func:`~tinygrad_nnd.hvp` of this function work directly on the vector.
        """
        X, y = self.check_data(X, y)
        return self._cost_of_params(params, *_data_nodes(X, y))

    def _cost_of_params(self, params: Tensor, X: Any, y: Any) -> Tensor:
        """:meth:`cost_of_params` without the data checks (``X`` and ``y`` may be traced Tensors)."""
        pieces = []
        for name, piece in self._named_pieces(params):
            piece.name = name
            pieces.append(piece)
        return self._cost(X, y, pieces[: self.n_layers], pieces[self.n_layers :])  # weights come first, then biases

    def hessian_vector_product(self, params: Any, v: Any, X: Any, y: Any) -> np.ndarray:
        """``H(params) @ v`` for the cost, exact, compiled (:func:`~tinygrad_nnd.jit` of :meth:`cost_of_params`).

        SciPy's ``hessp=``: the :class:`Trainer` uses it for Newton-CG and the trust-region methods.
        """
        X, y = self.check_data(X, y)
        key = (self.layer_sizes, self.Lambda, self.mean_cost, self.bias, self.output)
        cached = getattr(self, "_jitted_cost", None)  # (key, jitted), replaced as one: safe for threads
        if cached is None or cached[0] != key:
            cached = (key, jit(self._cost_of_params))
            self._jitted_cost = cached
        jitted: Jitted = cached[1]
        return jitted.hvp(params, v, X, y)

    # ---------------------------------------------------------------- gradients

    def compute_gradients(self, X: Any, y: Any) -> np.ndarray:
        """The gradient ``dJ/dW`` by automatic differentiation, flattened as :meth:`get_params`."""
        return self.cost_and_gradients(X, y)[1]

    def cost_and_gradients(self, X: Any, y: Any) -> tuple[float, np.ndarray]:
        """``(J, dJ/dW)`` from one forward and one backward pass (the gradient flattened).

        The cost is traced once per data shape and compiled into one NumPy
        function of the weights and the data (see :meth:`cost_and_gradients_source`):
        the cost has no branches, so every call would record the same graph again.
        """
        X, y = self.check_data(X, y)
        J, *gradients = self._compiled_cost(X, y)(*self.params, X, y)
        return J, np.concatenate([g.ravel() for g in gradients])

    def cost_and_gradients_source(self, X: Any, y: Any) -> str:
        """The Python source that :meth:`cost_and_gradients` runs for data of these shapes.

        Its backward half is the series' chain rule, derived: ``dJ_dz_3`` is
        ``delta_3``, ``dJ_dz_2`` is ``delta_2``, ``dJ_dW_2 = a_2.T @ dJ_dz_3``.
        """
        X, y = self.check_data(X, y)
        return self._compiled_cost(X, y).source

    def _compiled_cost(self, X: np.ndarray, y: np.ndarray) -> Program:
        """The compiled cost and gradient for data of these shapes and dtypes (traced on first use)."""
        key = (
            self.layer_sizes,
            self.Lambda,
            self.mean_cost,
            self.bias,
            self.output,
            X.shape,
            X.dtype,
            y.shape,
            y.dtype,
        )
        cached = getattr(self, "_program", None)  # (key, program), replaced as one: safe for threads
        if cached is not None and cached[0] == key:
            return cached[1]
        leaves = [Tensor(p, requires_grad=True, name=name) for (name, _, _), p in zip(self.param_layout(), self.params)]
        weights, biases = leaves[: self.n_layers], leaves[self.n_layers :]
        X_t, y_t = _data_nodes(X, y)
        root = trace(lambda: self._cost(X_t, y_t, weights, biases), [X_t, y_t])
        program = build(root, weights + biases, [X_t, y_t], gradient=True, value_as_float=True)
        self._program = (key, program)
        return program

    def cost_function_prime(self, X: Any, y: Any) -> tuple[np.ndarray, ...]:
        """The gradient by the series' hand-written chain rule (Part IV), one matrix per layer.

        With ``L`` weight matrices and ``f'`` the sigmoid's derivative:

        .. math::
            \\delta_{L+1} = -(y - \\hat y) \\odot f'(z_{L+1}) \\; [/N], \\qquad
            \\delta_l = (\\delta_{l+1} W_l^T) \\odot f'(z_l),

            \\frac{\\partial J}{\\partial W_l} = a_l^T \\delta_{l+1} + \\Lambda W_l .

        With a softmax output and the cross-entropy cost the last delta is simply
        :math:`\\delta_{L+1} = \\hat y \\sum_k y_k - y` [/N] (``y_hat - y`` for one-hot
        labels): the softmax's Jacobian and the logarithm's ``1 / y_hat`` cancel. A bias
        is added to every row, so its gradient sums the rows:
        :math:`\\partial J / \\partial b_l = \\sum_{rows} \\delta_{l+1}`.

        Returns ``(dJ_dW_1, dJ_dW_2, ...)``, then ``(dJ_db_1, ...)`` with biases (the
        order of :meth:`get_params`); the deltas are kept as attributes
        ``delta_2, ..., delta_{L+1}`` (and ``z_l``, ``a_l``, ``y_hat`` as by :meth:`forward`),
        for reading afterwards as in the series. The computation itself uses only
        local variables, so threads that share the network get correct gradients.
        """
        X, y = self.check_data(X, y)
        return self._chain_rule(X, y)[1]

    def _chain_rule(
        self,
        X: np.ndarray,
        y: np.ndarray,
        weights: Sequence[np.ndarray] | None = None,
        biases: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """``(y_hat, gradients)`` by the chain rule, from locals only; the series' attributes are set at the end."""
        weights = self.weights if weights is None else weights  # one snapshot for the whole pass
        biases = self.biases if biases is None else biases
        z, a = [], [X]  # z[l - 2] is z_l; a[l - 1] is a_l (a_1 = X)
        for z_l, a_l in self._layers(X, weights, biases):
            z.append(z_l)
            a.append(a_l)
        y_hat = a[-1]
        if self.output == "softmax":  # d(cross-entropy of softmax)/dz, in one step
            delta = y_hat * y.sum(axis=1, keepdims=True) - y
        else:
            delta = -(y - y_hat) * sigmoid_prime(z[-1])
        if self.mean_cost:
            delta = delta / X.shape[0]
        gradients: list[np.ndarray] = [np.empty(0)] * (self.n_layers + len(biases))
        deltas = {}
        for l in range(self.n_layers, 0, -1):  # W_L back to W_1
            deltas[f"delta_{l + 1}"] = delta
            gradients[l - 1] = a[l - 1].T @ delta + self.Lambda * weights[l - 1]
            if biases:  # b_l was added to every row: its gradient sums delta over the rows
                gradients[self.n_layers + l - 1] = delta.sum(axis=0)
            if l > 1:
                delta = (delta @ weights[l - 1].T) * sigmoid_prime(z[l - 2])
        # For reading afterwards, as in the series (the last caller's values when threads share the network).
        for l in range(2, self.n_layers + 2):
            setattr(self, f"z_{l}", z[l - 2])
            if l <= self.n_layers:
                setattr(self, f"a_{l}", a[l - 1])
        self.y_hat = y_hat
        for name, value in deltas.items():
            setattr(self, name, value)
        return y_hat, tuple(gradients)

    def compute_gradients_by_hand(self, X: Any, y: Any) -> np.ndarray:
        """:meth:`cost_function_prime`, flattened as :meth:`get_params`."""
        return self.cost_and_gradients_by_hand(X, y)[1]

    def cost_and_gradients_by_hand(self, X: Any, y: Any) -> tuple[float, np.ndarray]:
        """``(J, dJ/dW)`` by the hand-written chain rule, both from one forward pass (safe for threads)."""
        X, y = self.check_data(X, y)
        weights, biases = self.weights, self.biases
        y_hat, gradients = self._chain_rule(X, y, weights, biases)
        J = self._cost_of_prediction(y_hat, y, weights, getattr(self, f"z_{self.n_layers + 1}"))
        return float(J), np.concatenate([g.ravel() for g in gradients])

    def __repr__(self) -> str:
        extras = ""
        if self.Lambda:
            extras += f", Lambda={self.Lambda!r}"
        if self.mean_cost:
            extras += ", mean_cost=True"
        if self.bias:
            extras += ", bias=True"
        if self.output != "sigmoid":
            extras += f", output={self.output!r}"
        return f"NeuralNetwork(layer_sizes={self.layer_sizes}{extras})"


def _as_2d_float(data: Any, name: str) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numbers: {error}") from None
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows are examples), got shape {array.shape}")
    return array


def _check_finite(array: np.ndarray, name: str) -> None:
    if not np.isfinite(array).all():
        row, col = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(f"{name} contains {array[row, col]} at row {row}, column {col}: the data must be finite")


def scratch_copy(N: Any) -> Any:
    """A shallow copy of a network to run the series' methods on, leaving ``N`` as it was.

    :meth:`NeuralNetwork.forward` and :meth:`NeuralNetwork.cost_function_prime` store
    ``z_l``, ``a_l``, ``y_hat`` and ``delta_l`` on the object, as the series does (so
    does the seed notebook's class, which the plots also accept); on the copy, which
    shares the weights, they change nothing the caller holds.
    """
    return copy.copy(N)
