"""labkit: the small helper package behind the backprop & regularization notebooks."""

from .activations import Activation, Identity, ReLU, Sigmoid, Softmax, Tanh, get_activation
from .datasets import xor
from .gradcheck import check_network_gradients, network_gradient_errors, numerical_gradient, rel_error
from .losses import BinaryCrossEntropy, CategoricalCrossEntropy, Loss, MeanSquaredError, get_loss
from .network import DenseNetwork, DivergenceError, build_network
from .optim import GradientDescent
from .tools.threads import size_blas_pool

size_blas_pool()  # as many BLAS threads as CPUs this process can really have (see labkit.tools.threads)

__version__ = "0.1.0"

__all__ = [
    "Activation", "Identity", "ReLU", "Sigmoid", "Softmax", "Tanh", "get_activation",
    "Loss", "BinaryCrossEntropy", "CategoricalCrossEntropy", "MeanSquaredError", "get_loss",
    "GradientDescent", "DenseNetwork", "DivergenceError", "build_network",
    "numerical_gradient", "rel_error", "network_gradient_errors", "check_network_gradients",
    "xor",
]
