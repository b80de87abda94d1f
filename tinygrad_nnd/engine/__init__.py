"""The autodiff engine: Tensor, the op registry, backpropagation and the functional API."""

from .backprop import backpropagate, topological_order
from .derivatives import HESSIAN_MAX_SIZE, hessian, jacobian, jvp, vjp
from .functional import grad, gradients, hvp, value_and_grad
from .jit import Jitted, jit
from .modes import AnomalyError, TracerConversionError, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .ops import OPS, Op, unbroadcast
from .tensor import Tensor, apply, as_array
from .tree import TreeDef, ravel_pytree, tree_flatten, tree_leaves, tree_map, tree_unflatten

__all__ = [
    "OPS",
    "AnomalyError",
    "Op",
    "Tensor",
    "apply",
    "as_array",
    "backpropagate",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradients",
    "hvp",
    "is_grad_enabled",
    "Jitted",
    "jit",
    "no_grad",
    "topological_order",
    "TracerConversionError",
    "unbroadcast",
    "value_and_grad",
    "TreeDef",
    "ravel_pytree",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
    "HESSIAN_MAX_SIZE",
    "hessian",
    "jacobian",
    "jvp",
    "vjp",
]
