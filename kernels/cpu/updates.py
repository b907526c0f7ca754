"""Element-wise loop kernels: optimizer updates, mini-batch gathering, standardization.

Optimizer hyperparameters arrive in ``hp``, an array of the parameters' dtype, so the
arithmetic stays in that dtype: hp = (lr, beta, 1 - beta, beta2, 1 - beta2, epsilon,
1 - beta**t, 1 - beta2**t), beta being beta1 for adam (``network.hyperparameters``).
"""
import math

from numba import prange

from .. import config
from ..spec import GD, MOMENTUM, NESTEROV, RMSPROP
from ._jit import jit, serial_and_parallel
from .layers import row_moments

BLOCK = config.COLUMN_BLOCK
SQUARES_RUN = 1024


def optimizer_step(theta, grad, v, s, code, hp):
    """One in-place step of the optimizer `code` (``spec.Optimizer``) over flat arrays; the
    formulas are those of ``kernels.reference``. gd reads hp[0] alone."""
    lr = hp[0]
    if code == GD:
        for i in prange(theta.size):
            theta[i] -= lr * grad[i]
        return
    b1, c1, b2, c2, eps, bc1, bc2 = hp[1], hp[2], hp[3], hp[4], hp[5], hp[6], hp[7]
    if code == MOMENTUM:
        for i in prange(theta.size):
            v[i] = b1 * v[i] + c1 * grad[i]
            theta[i] -= lr * v[i]
    elif code == NESTEROV:
        for i in prange(theta.size):
            g = grad[i]
            v[i] = b1 * v[i] + c1 * g
            theta[i] -= lr * (b1 * v[i] + c1 * g)
    elif code == RMSPROP:
        for i in prange(theta.size):
            g = grad[i]
            s[i] = b2 * s[i] + c2 * g * g
            theta[i] -= lr * g / (math.sqrt(s[i]) + eps)
    else:
        for i in prange(theta.size):
            g = grad[i]
            v[i] = b1 * v[i] + c1 * g
            s[i] = b2 * s[i] + c2 * g * g
            theta[i] -= lr * (v[i] / bc1) / (math.sqrt(s[i] / bc2) + eps)


def gather_columns(X, idx, start, out):
    """out[:, j] = X[idx[start + j], :] for j < out.shape[1]: a mini-batch in course layout.

    Tiles of 16 features by one block of examples keep the transposing writes in cache.
    """
    n, count = out.shape
    for blk in prange((count + BLOCK - 1) // BLOCK):
        j0, j1 = blk * BLOCK, min(count, blk * BLOCK + BLOCK)
        for r0 in range(0, n, 16):
            r1 = min(n, r0 + 16)
            for j in range(j0, j1):
                x_row = X[idx[start + j]]
                for r in range(r0, r1):
                    out[r, j] = x_row[r]


def gather_rows(X, idx, start, out):
    """out[j] = X[idx[start + j]] for j < out.shape[0]: a sample-major mini-batch, whole
    rows copied, one per iteration."""
    n = out.shape[1]
    for j in prange(out.shape[0]):
        x_row, o_row = X[idx[start + j]], out[j]
        for r in range(n):
            o_row[r] = x_row[r]


def sum_of_squares(x, partial):
    """Sum of x**2 over a flat array: chunk c adds into partial[c] alone, then a serial sum.

    Each run of SQUARES_RUN elements is summed in x's dtype (a vectorized reduction, whose
    lanes each add a few dozen squares), and the runs in float64.
    """
    chunks = partial.size
    size = (x.size + chunks - 1) // chunks
    for c in prange(chunks):
        acc = 0.0
        stop = min(x.size, (c + 1) * size)
        for r0 in range(c * size, stop, SQUARES_RUN):
            seg = x[r0:min(stop, r0 + SQUARES_RUN)]  # a view: its indices are provably >= 0
            run = seg[0] * seg[0]
            for i in range(1, seg.size):
                run += seg[i] * seg[i]
            acc += run
        partial[c] = acc
    total = 0.0
    for c in range(chunks):
        total += partial[c]
    return total


def standardize_fit(X, mean, std):
    """Mean and population std of each row of X (n_x, m); a zero std becomes 1."""
    for r in prange(X.shape[0]):
        mean[r], std[r] = row_moments(X, r)


def standardize(X, mean, std, out):
    """out = (X - mean) / std per row."""
    n, m = X.shape
    for r in prange(n):
        for j in range(m):
            out[r, j] = (X[r, j] - mean[r]) / std[r]


def scale_mask(A, D, keep, out):
    """out = A * D / keep, element-wise over (n, m)."""
    n, m = A.shape
    for i in prange(n):
        for j in range(m):
            out[i, j] = A[i, j] * D[i, j] / keep


def subtract(A, B, out):
    """out = A - B, element-wise over (n, m)."""
    n, m = A.shape
    for i in prange(n):
        for j in range(m):
            out[i, j] = A[i, j] - B[i, j]


optimizer_step_serial, optimizer_step_parallel = serial_and_parallel(optimizer_step)
gather_columns_serial = jit(gather_columns)  # small mini-batches and targets: serial only
gather_rows_serial = jit(gather_rows)  # a copy of whole rows: threads do not pay for it
sum_of_squares_serial, sum_of_squares_parallel = serial_and_parallel(sum_of_squares)
standardize_fit_serial, standardize_fit_parallel = serial_and_parallel(standardize_fit)
standardize_serial, standardize_parallel = serial_and_parallel(standardize)
scale_mask_serial, scale_mask_parallel = serial_and_parallel(scale_mask)
subtract_serial, subtract_parallel = serial_and_parallel(subtract)
