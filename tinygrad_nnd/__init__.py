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

from .engine import (
    OPS,
    AnomalyError,
    Op,
    Tensor,
    backpropagate,
    detect_anomaly,
    enable_grad,
    grad,
    gradients,
    hvp,
    is_grad_enabled,
    jit,
    no_grad,
    topological_order,
    value_and_grad,
    ravel_pytree,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)
from .engine import functions
from .engine.functions import (
    add,
    broadcast_to,
    divide,
    dot,
    exp,
    log,
    matmul,
    mean,
    multiply,
    negative,
    power,
    relu,
    reshape,
    square,
    subtract,
    tanh,
    tensor,
    transpose,
)
from .gradcheck import GradcheckResult, gradcheck, norm_ratio, numerical_gradient
from .nn import (
    GradientCheck,
    NeuralNetwork,
    Trainer,
    compute_numerical_gradient,
    sigmoid,
    sigmoid_prime,
    test_gradient,
)

from .io import ModelFileError, load_model, save_model
from .viz import draw_graph, explain_network, format_graph, to_dot, trace_backward

__version__ = "0.1.0"

__all__ = [
    "ModelFileError", "draw_graph", "explain_network", "format_graph", "load_model", "save_model", "to_dot",
    "trace_backward", "OPS", "AnomalyError", "GradcheckResult", "GradientCheck", "NeuralNetwork", "Trainer",
    "compute_numerical_gradient", "sigmoid", "sigmoid_prime", "test_gradient", "Op", "Tensor", "add", "backpropagate", "broadcast_to",
    "detect_anomaly", "divide", "dot", "enable_grad", "exp", "functions", "grad", "gradcheck",
    "gradients", "hvp", "is_grad_enabled", "jit", "log", "matmul", "mean", "multiply", "negative",
    "no_grad", "norm_ratio", "numerical_gradient", "power", "relu", "reshape", "square",
    "subtract", "tanh", "tensor", "topological_order", "transpose", "value_and_grad",
    "ravel_pytree", "tree_flatten", "tree_leaves", "tree_map", "tree_unflatten",
]
