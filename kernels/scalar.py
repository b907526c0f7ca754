"""Per-element and per-column helpers shared by the Numba CPU and CUDA kernels.

The functions are plain Python, written once. Each backend compiles its own copies with
`compiled`: the CPU backend inlines them into its loops (a call per element or column
costs more than its arithmetic), the CUDA backend compiles them as device functions. One
``register_jitable`` overload cannot serve both: Numba-level inlining of an overload fails
to type on the CUDA target, and without it the CPU pays for the calls.
The activation codes are `kernels.spec`'s table.
"""
import math
from types import SimpleNamespace

import numpy as np

from . import hashing
from .clone import clone
from .spec import LEAKY_RELU, RELU, SIGMOID, SOFTMAX, TANH

#: The elementary functions the helpers call, each only where its name says: e**x for
#: x <= 0, log(1 + e) for 0 <= e <= 1, tanh. `compiled` may substitute a backend's own; the
#: CPU backend's are polynomials that LLVM vectorizes, where libm is a call per element.
exp_nonpositive, log1p_unit, tanh = math.exp, math.log1p, math.tanh


def sigmoid_of(z, e):
    """sigma(z) from e = exp(-|z|), without overflow for any z."""
    return 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)


def sigmoid(z):
    """sigma(z) for one element."""
    return sigmoid_of(z, exp_nonpositive(-abs(z)))


def sigmoid_grad(dA, z):
    """dA * sigma'(z) = dA * s * (1 - s), in the reference's order of operations."""
    s = sigmoid(z)
    return dA * s * (1 - s)


def tanh_grad(dA, z):
    """dA * tanh'(z) = dA * (1 - tanh(z)^2)."""
    t = tanh(z)
    return dA * (1 - t * t)


def activation_value(z, code, slope):
    """g(z) for one element (not softmax)."""
    if code == SIGMOID:
        return sigmoid(z)
    if code == TANH:
        return tanh(z)
    if code == RELU:
        return z if z > 0 else z * 0
    if code == LEAKY_RELU:
        return z if z > 0 else z * slope
    return z


def activation_grad(dA, z, code, slope):
    """dA * g'(z) for one element, in the reference's order of operations."""
    if code == SIGMOID:
        return sigmoid_grad(dA, z)
    if code == TANH:
        return tanh_grad(dA, z)
    if code == RELU:
        return dA if z > 0 else dA * 0
    if code == LEAKY_RELU:
        return dA if z > 0 else dA * slope
    return dA


def softmax_column(Z, A, j):
    """A[:, j] = softmax(Z[:, j]); returns (max, sum of exp) for the log-sum-exp."""
    n = Z.shape[0]
    top = Z[0, j]
    for i in range(1, n):
        top = max(top, Z[i, j])
    total = Z[0, j] * 0
    for i in range(n):
        e = exp_nonpositive(Z[i, j] - top)
        A[i, j] = e
        total += e
    for i in range(n):
        A[i, j] = A[i, j] / total
    return top, total


def output_column(ZL, AL, Y, j, code):
    """Output activation of column j into AL, and that example's cost.

    Binary cross-entropy max(z,0) - zy + log(1+e^-|z|), categorical cross-entropy
    logsumexp(z) - y.z, or half squared error, all from the logits.
    """
    n = ZL.shape[0]
    if code == SOFTMAX:
        top, total = softmax_column(ZL, AL, j)
        dot = 0.0
        for i in range(n):
            dot += Y[i, j] * ZL[i, j]
        return top + math.log(total) - dot
    cost = 0.0
    for i in range(n):
        z, y = ZL[i, j], Y[i, j]
        if code == SIGMOID:
            e = exp_nonpositive(-abs(z))
            AL[i, j] = sigmoid_of(z, e)
            cost += max(z, 0) - z * y + log1p_unit(e)
        else:
            AL[i, j] = z
            cost += (z - y) * (z - y) / 2
    return cost


def layer_stream(sizes, offsets, keeps, dropout, seed, step, l):
    """Layer l's n_l, n_{l-1}, offset of W_l in theta, keep probability (1 without dropout)
    and the key of its dropout stream at `step`."""
    keep = keeps[l] if dropout else 1.0
    key = hashing.stream_key(np.uint64(seed), np.uint64(step), np.uint64(l))
    return sizes[l], sizes[l - 1], offsets[l - 1], keep, key


def row_moments(X, r):
    """Mean and population std of row r of X; a zero std is returned as 1."""
    m = X.shape[1]
    total = 0.0
    for j in range(m):
        total += X[r, j]
    mu = total / m
    sq = 0.0
    for j in range(m):
        sq += (X[r, j] - mu) * (X[r, j] - mu)
    sd = math.sqrt(sq / m)
    return mu, (sd if sd > 0 else 1.0)


#: In dependency order: each function may call those before it.
__all__ = ["sigmoid_of", "sigmoid", "sigmoid_grad", "tanh_grad", "activation_value", "activation_grad", "softmax_column",
           "output_column", "layer_stream", "row_moments"]


def compiled(decorate, **elementary):
    """The helpers compiled by `decorate`, each calling the others' compiled copies, and
    the functions in `elementary` (by name: exp_nonpositive, log1p_unit, tanh) in place of
    libm's."""
    namespace = dict(globals(), **elementary)
    out = {}
    for name in __all__:
        namespace[name] = out[name] = decorate(clone(globals()[name], namespace=namespace))
    return SimpleNamespace(**out)
