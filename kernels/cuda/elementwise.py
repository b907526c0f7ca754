"""Element-wise CUDA kernels of the stand-alone ops: an activation and its derivative, the
dropout mask and its scaling, the output delta, and standardization.

They need no tile size, so `device.build` adds the same functions to the kernels of every
configuration (`SOURCES`). Each loops over its output with a grid stride.
"""
from numba import cuda

from ..spec import SOFTMAX
from .device_functions import (activation_grad, activation_value, keep_bit, row_moments,
                               softmax_column)


def activate(Z, A, code, slope):
    """A = g(Z) element-wise, or softmax over each column."""
    n, m = Z.shape
    for j in range(cuda.grid(1), m, cuda.gridsize(1)):
        if code == SOFTMAX:
            softmax_column(Z, A, j)
        else:
            for i in range(n):
                A[i, j] = activation_value(Z[i, j], code, slope)

def derivative(dA, Z, dZ, code, slope):
    """dZ = dA * g'(Z), element-wise."""
    n, m = Z.shape
    for p in range(cuda.grid(1), n * m, cuda.gridsize(1)):
        i, j = p // m, p % m
        dZ[i, j] = activation_grad(dA[i, j], Z[i, j], code, slope)

def mask(key, keep, D):
    """Dropout keep mask of the stream `key`."""
    n, m = D.shape
    for p in range(cuda.grid(1), n * m, cuda.gridsize(1)):
        i, j = p // m, p % m
        D[i, j] = keep_bit(key, i, j, keep)

def scale_mask(A, D, keep, out):
    """out = A * D / keep, element-wise."""
    n, m = A.shape
    for p in range(cuda.grid(1), n * m, cuda.gridsize(1)):
        i, j = p // m, p % m
        out[i, j] = A[i, j] * D[i, j] / keep

def subtract(A, B, out):
    """out = A - B, element-wise."""
    n, m = A.shape
    for p in range(cuda.grid(1), n * m, cuda.gridsize(1)):
        i, j = p // m, p % m
        out[i, j] = A[i, j] - B[i, j]

def moments(X, mean, std):
    """Mean and population std of each row of X (n_x, m); a zero std becomes 1."""
    for r in range(cuda.grid(1), X.shape[0], cuda.gridsize(1)):
        mean[r], std[r] = row_moments(X, r)

def standardize(X, mean, std, out):
    """out = (X - mean) / std per row."""
    n, m = X.shape
    for p in range(cuda.grid(1), n * m, cuda.gridsize(1)):
        r, j = p // m, p % m
        out[r, j] = (X[r, j] - mean[r]) / std[r]


#: The kernels' Python functions by name, which `device.build` compiles.
SOURCES = dict(activate=activate, derivative=derivative, mask=mask, scale_mask=scale_mask,
               subtract=subtract, moments=moments, standardize=standardize)
