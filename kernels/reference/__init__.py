"""NumPy reference backend: every op as a vectorized expression.

Shapes follow the course: A of shape (n_l, m), W of shape (n_l, n_{l-1}),
b of shape (n_l,), Y of shape (n_L, m). The other backends export the same
names with the same signatures (`kernels.contract`) and are tested against this package:
the course's ops in `ops`, the whole network in `network`.
"""
import contextlib

from ..spec import check_name
from .network import cost_and_gradients, make_trainer, network_cost, network_output, train_epochs
from .ops import (activation_backward, activation_forward, adam_update, binary_cross_entropy,
                  categorical_cross_entropy, dropout_backward, dropout_forward, dropout_mask,
                  gd_update, l2_penalty, linear_backward, linear_forward, mean_squared_error,
                  momentum_update, optimizer_update, output_delta, rmsprop_update, standardize,
                  standardize_fit)

__all__ = [
    "name", "linear_forward", "activation_forward", "activation_backward", "linear_backward",
    "output_delta", "binary_cross_entropy", "categorical_cross_entropy", "mean_squared_error",
    "l2_penalty", "dropout_mask", "dropout_forward", "dropout_backward", "gd_update",
    "momentum_update", "rmsprop_update", "adam_update", "optimizer_update", "standardize_fit",
    "standardize", "network_output", "network_cost", "cost_and_gradients", "train_epochs",
    "make_trainer", "num_threads", "warmup", "check_name",
]
name = "numpy"


@contextlib.contextmanager
def num_threads(n):
    """Thread-count context of the backend; NumPy's BLAS threads are left as they are."""
    yield


def warmup(dtype="float64"):
    """Nothing to compile for NumPy."""
