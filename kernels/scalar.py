"""Per-element and per-column helpers shared by the Numba CPU and CUDA kernels.

``register_jitable`` lets both targets compile these same functions: inlined into the
CPU loops, and as device functions on the GPU. Codes follow `kernels.spec`.
"""
import math

from numba.extending import register_jitable

SIGMOID, TANH, RELU, LEAKY_RELU, IDENTITY, SOFTMAX = 0, 1, 2, 3, 4, 5


@register_jitable
def sigmoid_of(z, e):
    """sigma(z) from e = exp(-|z|), without overflow for any z."""
    return 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)


@register_jitable
def activation_value(z, code, slope):
    """g(z) for one element (not softmax)."""
    if code == SIGMOID:
        return sigmoid_of(z, math.exp(-abs(z)))
    if code == TANH:
        return math.tanh(z)
    if code == RELU:
        return z if z > 0 else z * 0
    if code == LEAKY_RELU:
        return z if z > 0 else z * slope
    return z


@register_jitable
def activation_grad(dA, z, code, slope):
    """dA * g'(z) for one element, in the reference's order of operations."""
    if code == SIGMOID:
        s = sigmoid_of(z, math.exp(-abs(z)))
        return dA * s * (1 - s)
    if code == TANH:
        t = math.tanh(z)
        return dA * (1 - t * t)
    if code == RELU:
        return dA if z > 0 else dA * 0
    if code == LEAKY_RELU:
        return dA if z > 0 else dA * slope
    return dA


@register_jitable
def softmax_column(Z, A, j):
    """A[:, j] = softmax(Z[:, j]); returns (max, sum of exp) for the log-sum-exp."""
    n = Z.shape[0]
    top = Z[0, j]
    for i in range(1, n):
        top = max(top, Z[i, j])
    total = Z[0, j] * 0
    for i in range(n):
        e = math.exp(Z[i, j] - top)
        A[i, j] = e
        total += e
    for i in range(n):
        A[i, j] = A[i, j] / total
    return top, total


@register_jitable
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
            e = math.exp(-abs(z))
            AL[i, j] = sigmoid_of(z, e)
            cost += max(z, 0) - z * y + math.log1p(e)
        else:
            AL[i, j] = z
            cost += (z - y) * (z - y) / 2
    return cost


@register_jitable
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
