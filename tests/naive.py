"""Slow, obviously correct references written from the course's formulas.

Every function loops over examples and units with Python scalars; nothing
here shares code with the kernels.
"""
import math

import numpy as np

MASK64 = (1 << 64) - 1


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def g(z, activation, slope=0.01):
    if activation == "sigmoid":
        return sigmoid(z)
    if activation == "tanh":
        return math.tanh(z)
    if activation == "relu":
        return z if z > 0 else 0.0
    if activation == "leaky_relu":
        return z if z > 0 else slope * z
    return z


def g_prime(z, activation, slope=0.01):
    if activation == "sigmoid":
        s = sigmoid(z)
        return s * (1 - s)
    if activation == "tanh":
        return 1 - math.tanh(z) ** 2
    if activation == "relu":
        return 1.0 if z > 0 else 0.0
    if activation == "leaky_relu":
        return 1.0 if z > 0 else slope
    return 1.0


def linear_forward(W, b, A_prev, activation, slope=0.01):
    n, n_prev = W.shape
    m = A_prev.shape[1]
    Z = np.zeros((n, m))
    A = np.zeros((n, m))
    for j in range(m):
        for i in range(n):
            z = b[i]
            for k in range(n_prev):
                z += W[i, k] * A_prev[k, j]
            Z[i, j] = z
        if activation == "softmax":
            top = max(Z[:, j])
            e = [math.exp(Z[i, j] - top) for i in range(n)]
            for i in range(n):
                A[i, j] = e[i] / sum(e)
        else:
            for i in range(n):
                A[i, j] = g(Z[i, j], activation, slope)
    return Z, A


def activation_backward(dA, Z, activation, slope=0.01):
    dZ = np.zeros(dA.shape)
    for i in range(dA.shape[0]):
        for j in range(dA.shape[1]):
            dZ[i, j] = dA[i, j] * g_prime(Z[i, j], activation, slope)
    return dZ


def linear_backward(dZ, A_prev, W, l2=0.0):
    n, m = dZ.shape
    n_prev = A_prev.shape[0]
    dW = np.zeros((n, n_prev))
    db = np.zeros(n)
    dA_prev = np.zeros((n_prev, m))
    for j in range(m):
        for i in range(n):
            db[i] += dZ[i, j] / m
            for k in range(n_prev):
                dW[i, k] += dZ[i, j] * A_prev[k, j] / m
                dA_prev[k, j] += W[i, k] * dZ[i, j]
    dW += l2 / m * W
    return dW, db, dA_prev


def l2_term(weights, l2, m):
    return l2 / (2 * m) * sum(w * w for W in weights for w in W.ravel())


def binary_cross_entropy(ZL, Y, weights=(), l2=0.0):
    m = ZL.shape[1]
    total = 0.0
    for j in range(m):
        a, y = sigmoid(ZL[0, j]), Y[0, j]
        total -= y * math.log(a) + (1 - y) * math.log(1 - a)
    return total / m + l2_term(weights, l2, m)


def categorical_cross_entropy(ZL, Y, weights=(), l2=0.0):
    _, A = linear_forward(np.eye(ZL.shape[0]), np.zeros(ZL.shape[0]), ZL, "softmax")
    m = ZL.shape[1]
    total = 0.0
    for j in range(m):
        for k in range(ZL.shape[0]):
            if Y[k, j]:
                total -= Y[k, j] * math.log(A[k, j])
    return total / m + l2_term(weights, l2, m)


def mean_squared_error(ZL, Y, weights=(), l2=0.0):
    m = ZL.shape[1]
    return sum((z - y) ** 2 for z, y in zip(ZL.ravel(), Y.ravel())) / (2 * m) \
        + l2_term(weights, l2, m)


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def dropout_uniform(seed, step, layer, unit, example):
    """The dropout hash in Python integers: SplitMix64 finalizers chained over the counters."""
    key = _mix(_mix(_mix((seed + 0x9E3779B97F4A7C15) & MASK64) ^ step) ^ layer)
    h = _mix(_mix(key ^ unit) ^ example)
    return (h >> 11) / 2.0 ** 53


def dropout_mask(seed, step, layer, shape, keep_prob):
    n, m = shape
    return np.array([[1.0 if dropout_uniform(seed, step, layer, i, j) < keep_prob else 0.0
                      for j in range(m)] for i in range(n)])


def adam(theta, grad, v, s, lr, t, beta1, beta2, eps):
    """One Adam step, element by element; returns new (theta, v, s)."""
    theta, v, s = theta.copy(), v.copy(), s.copy()
    for i in range(theta.size):
        v[i] = beta1 * v[i] + (1 - beta1) * grad[i]
        s[i] = beta2 * s[i] + (1 - beta2) * grad[i] ** 2
        v_hat = v[i] / (1 - beta1 ** t)
        s_hat = s[i] / (1 - beta2 ** t)
        theta[i] -= lr * v_hat / (math.sqrt(s_hat) + eps)
    return theta, v, s


def network_cost(layers, X, Y, activation, output, l2=0.0, slope=0.01):
    """J of a network given as [(W, b), ...], through the naive layers."""
    A = X
    for l, (W, b) in enumerate(layers, start=1):
        Z, A = linear_forward(W, b, A, output if l == len(layers) else activation, slope)
    cost = {"sigmoid": binary_cross_entropy, "softmax": categorical_cross_entropy,
            "identity": mean_squared_error}[output]
    return cost(Z, Y, [W for W, _ in layers], l2)
