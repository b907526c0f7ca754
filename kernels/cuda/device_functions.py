"""The device functions that the CUDA kernels share: `kernels.scalar`'s formulas compiled for
the device, and the dropout keep bit."""
import numpy as np
from numba import cuda

from .. import hashing, scalar

_S = scalar.compiled(cuda.jit(device=True))
activation_value, activation_grad = _S.activation_value, _S.activation_grad
softmax_column, output_column, row_moments = _S.softmax_column, _S.output_column, _S.row_moments
layer_stream = _S.layer_stream


@cuda.jit(device=True)
def keep_bit(key, unit, example, keep):
    """1 when the dropout hash of (stream key, unit, example) is below keep."""
    rk = hashing.row_key(key, np.uint64(unit))
    return 1 if hashing.uniform(rk, np.uint64(example)) < keep else 0
