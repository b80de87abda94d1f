"""The series' network on the engine: the model, its gradient check, and the trainer."""

from .activations import sigmoid, sigmoid_prime
from .gradient_check import NORM_RATIO_LIMIT, GradientCheck, compute_numerical_gradient, test_gradient
from .network import NeuralNetwork
from .trainer import GRADIENT_METHODS, HESSP_METHODS, Trainer, TrainingMemoryError

__all__ = [
    "GRADIENT_METHODS",
    "HESSP_METHODS",
    "NORM_RATIO_LIMIT",
    "GradientCheck",
    "NeuralNetwork",
    "Trainer",
    "TrainingMemoryError",
    "compute_numerical_gradient",
    "sigmoid",
    "sigmoid_prime",
    "test_gradient",
]
