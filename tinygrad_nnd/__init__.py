"""tinygrad_nnd: reverse-mode automatic differentiation on NumPy, built around the
"Neural Networks Demystified" network.

>>> from tinygrad_nnd import Tensor
>>> w = Tensor([[0.5], [-1.0]], requires_grad=True)
>>> x = Tensor([[1.0, 2.0]])
>>> cost = (0.5 * (x @ w).sigmoid().square()).sum()
>>> cost.backward()
>>> w.grad.shape
(2, 1)
"""

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from .engine import (
    HESSIAN_MAX_SIZE,
    OPS,
    AnomalyError,
    Op,
    Tensor,
    backpropagate,
    detect_anomaly,
    enable_grad,
    functions,
    grad,
    gradients,
    hessian,
    hvp,
    is_grad_enabled,
    jacobian,
    jit,
    jvp,
    no_grad,
    ravel_pytree,
    topological_order,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
    value_and_grad,
    vjp,
)
from .engine.functions import (
    add,
    broadcast_to,
    clip,
    concatenate,
    divide,
    dot,
    exp,
    expand_dims,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    multiply,
    negative,
    power,
    relu,
    reshape,
    softmax,
    softmax_cross_entropy,
    sqrt,
    square,
    squeeze,
    stack,
    subtract,
    tanh,
    tensor,
    transpose,
    where,
)

# gradcheck is loaded now, not on first use: the function has its module's name, and
# the submodule, once imported, would otherwise take the name.
from .gradcheck import GradcheckResult, check_grads, gradcheck, norm_ratio, numerical_gradient

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ below loads these
    from .io import ModelFileError, load_model, save_model
    from .nn import (
        GradientCheck,
        NeuralNetwork,
        Trainer,
        compute_numerical_gradient,
        sigmoid,
        sigmoid_prime,
        test_gradient,
    )
    from .viz import draw_graph, explain_network, format_graph, to_dot, trace_backward

# The layers above the engine (see docs/internals.md) load when one of their names is
# first used, so that `import tinygrad_nnd.engine` loads the engine and nothing more.
_LOADED_ON_USE = {
    "GradientCheck": "nn",
    "NeuralNetwork": "nn",
    "Trainer": "nn",
    "compute_numerical_gradient": "nn",
    "sigmoid": "nn",
    "sigmoid_prime": "nn",
    "test_gradient": "nn",
    "ModelFileError": "io",
    "load_model": "io",
    "save_model": "io",
    "draw_graph": "viz",
    "explain_network": "viz",
    "format_graph": "viz",
    "to_dot": "viz",
    "trace_backward": "viz",
}


def __getattr__(name: str) -> object:
    if name not in _LOADED_ON_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LOADED_ON_USE[name]}"), name)
    globals()[name] = value  # later uses find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LOADED_ON_USE))


__all__ = [
    "__version__",
    "ModelFileError",
    "draw_graph",
    "explain_network",
    "format_graph",
    "load_model",
    "save_model",
    "to_dot",
    "trace_backward",
    "OPS",
    "AnomalyError",
    "GradcheckResult",
    "GradientCheck",
    "NeuralNetwork",
    "Trainer",
    "compute_numerical_gradient",
    "sigmoid",
    "sigmoid_prime",
    "test_gradient",
    "Op",
    "Tensor",
    "add",
    "backpropagate",
    "broadcast_to",
    "detect_anomaly",
    "divide",
    "dot",
    "enable_grad",
    "exp",
    "functions",
    "grad",
    "gradcheck",
    "gradients",
    "hvp",
    "is_grad_enabled",
    "jit",
    "log",
    "matmul",
    "mean",
    "multiply",
    "negative",
    "no_grad",
    "norm_ratio",
    "numerical_gradient",
    "power",
    "relu",
    "reshape",
    "square",
    "subtract",
    "tanh",
    "tensor",
    "topological_order",
    "transpose",
    "value_and_grad",
    "clip",
    "concatenate",
    "expand_dims",
    "log_softmax",
    "logsumexp",
    "maximum",
    "minimum",
    "softmax",
    "softmax_cross_entropy",
    "sqrt",
    "squeeze",
    "stack",
    "where",
    "HESSIAN_MAX_SIZE",
    "hessian",
    "jacobian",
    "jvp",
    "vjp",
    "check_grads",
    "ravel_pytree",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
]
