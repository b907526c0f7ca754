"""The course's ops, vectorized with NumPy: activations, the linear step, costs, dropout,
optimizer updates and standardization.

Shapes follow the course: A of shape (n_l, m), W of shape (n_l, n_{l-1}), b of shape
(n_l,), Y of shape (n_L, m).
"""
import numpy as np

from .. import hashing
from ..spec import ACTIVATION_CODES, check_name


# --------------------------------------------------------------- activations
def _sigmoid(Z):
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E)).astype(Z.dtype, copy=False)


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def activation_forward(Z, activation, slope=0.01):
    """A = g(Z), element-wise (column-wise for softmax).

    Parameters
    ----------
    Z : ndarray of shape (n_l, m)
    activation : {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"}
    slope : float
        Negative-side slope of leaky_relu.

    Returns
    -------
    A : ndarray of shape (n_l, m)

    Notes
    -----
    .. math:: \\sigma(z) = 1/(1+e^{-z}), \\quad
              \\mathrm{softmax}(z)_k = e^{z_k - \\max z} / \\sum_j e^{z_j - \\max z}

    sigmoid is evaluated from e^{-|z|} so that it never overflows.
    """
    check_name(activation, ACTIVATION_CODES, "activation")
    if activation == "sigmoid":
        return _sigmoid(Z)
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "relu":
        return np.maximum(Z, 0)
    if activation == "leaky_relu":
        return np.where(Z > 0, Z, Z * Z.dtype.type(slope))
    if activation == "softmax":
        return _softmax(Z)
    return Z.copy()


def activation_backward(dA, Z, activation, slope=0.01):
    """dZ = dA * g'(Z) for a hidden activation.

    Parameters
    ----------
    dA, Z : ndarray of shape (n_l, m)
    activation : {"sigmoid", "tanh", "relu", "leaky_relu", "identity"}

    Returns
    -------
    dZ : ndarray of shape (n_l, m)

    Notes
    -----
    .. math:: \\sigma' = \\sigma(1-\\sigma), \\quad \\tanh' = 1-\\tanh^2, \\quad
              \\mathrm{relu}' = [z>0], \\quad \\mathrm{leaky}' = [z>0] + a[z\\le 0]
    """
    check_name(activation, ("sigmoid", "tanh", "relu", "leaky_relu", "identity"),
               "activation with a derivative")
    if activation == "sigmoid":
        S = _sigmoid(Z)
        return dA * S * (1 - S)
    if activation == "tanh":
        T = np.tanh(Z)
        return dA * (1 - T * T)
    if activation == "relu":
        return np.where(Z > 0, dA, 0).astype(dA.dtype, copy=False)
    if activation == "leaky_relu":
        return np.where(Z > 0, dA, dA * dA.dtype.type(slope))
    return dA.copy()


# -------------------------------------------------------------------- linear
def linear_forward(W, b, A_prev, activation, slope=0.01):
    """Linear step fused with its activation.

    Parameters
    ----------
    W : ndarray of shape (n_l, n_{l-1})
    b : ndarray of shape (n_l,)
    A_prev : ndarray of shape (n_{l-1}, m)
    activation : str
        Any name accepted by `activation_forward`.
    slope : float

    Returns
    -------
    Z, A : ndarrays of shape (n_l, m)

    Notes
    -----
    .. math:: Z = W A_{prev} + b, \\quad A = g(Z)
    """
    Z = W @ A_prev + b[:, None]
    return Z, activation_forward(Z, activation, slope)


def linear_backward(dZ, A_prev, W, l2=0.0, need_dA_prev=True):
    """Gradients of the linear step.

    Parameters
    ----------
    dZ : ndarray of shape (n_l, m)
    A_prev : ndarray of shape (n_{l-1}, m)
    W : ndarray of shape (n_l, n_{l-1})
    l2 : float
        L2 strength lambda.
    need_dA_prev : bool
        False for the first layer, whose dA_prev nobody needs.

    Returns
    -------
    dW : ndarray of shape (n_l, n_{l-1})
    db : ndarray of shape (n_l,)
    dA_prev : ndarray of shape (n_{l-1}, m), or None

    Notes
    -----
    .. math:: dW = \\frac{1}{m} dZ A_{prev}^T + \\frac{\\lambda}{m} W, \\quad
              db = \\frac{1}{m} \\sum_i dZ^{(i)}, \\quad dA_{prev} = W^T dZ
    """
    m = A_prev.shape[1]
    dW = (dZ @ A_prev.T) / m + (l2 / m) * W
    db = dZ.sum(axis=1) / m
    dA_prev = W.T @ dZ if need_dA_prev else None
    return dW.astype(W.dtype, copy=False), db.astype(W.dtype, copy=False), dA_prev


def output_delta(AL, Y, sample_weight=None):
    """dZ of the output layer for its matched cost.

    Parameters
    ----------
    AL, Y : ndarray of shape (n_L, m)
    sample_weight : ndarray of shape (m,), optional
        Example weights w; each column of dZ is scaled by its w_i.

    Returns
    -------
    dZL : ndarray of shape (n_L, m)

    Notes
    -----
    .. math:: dZ^{[L]} = A^{[L]} - Y

    This holds for sigmoid with binary cross-entropy, softmax with
    categorical cross-entropy and identity with half mean squared error,
    the only pairs the networks use. With example weights,
    :math:`dZ^{[L]}_{:,i} = w_i (A^{[L]}_{:,i} - Y_{:,i})`.
    """
    return AL - Y if sample_weight is None else (AL - Y) * sample_weight


# --------------------------------------------------------------------- costs
def l2_penalty(weights, l2, m):
    """L2 cost term.

    Parameters
    ----------
    weights : sequence of ndarray of shape (n_l, n_{l-1})
    l2 : float
    m : int
        Number of examples.

    Returns
    -------
    float
        :math:`\\frac{\\lambda}{2m} \\sum_l \\|W^{[l]}\\|_F^2`
    """
    if l2 == 0.0:
        return 0.0
    return float(l2 / (2 * m) * sum(float(np.sum(W * W)) for W in weights))


def _mean(per_example, sample_weight):
    """(1/m) sum_i w_i c_i of per-example costs c (shape (m,)); w = 1 when not given."""
    if sample_weight is None:
        return float(per_example.sum()) / per_example.size
    return float(per_example @ sample_weight) / per_example.size


def binary_cross_entropy(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    """Binary cross-entropy computed from the logits, plus its L2 term.

    Parameters
    ----------
    ZL, Y : ndarray of shape (1, m)
    weights : sequence of ndarray, optional
    l2 : float
    sample_weight : ndarray of shape (m,), optional
        Example weights w: each example's cost counts w_i times (1/m sum_i w_i c_i).

    Returns
    -------
    float

    Notes
    -----
    .. math:: J = \\frac{1}{m}\\sum_i \\max(z,0) - zy + \\log(1+e^{-|z|})
              + \\frac{\\lambda}{2m}\\sum_l \\|W^{[l]}\\|_F^2

    which equals :math:`-\\frac1m\\sum y\\log a + (1-y)\\log(1-a)` without
    ever taking log(0).
    """
    m = ZL.shape[1]
    loss = np.maximum(ZL, 0) - ZL * Y + np.log1p(np.exp(-np.abs(ZL)))
    if sample_weight is None:
        return float(loss.sum()) / m + l2_penalty(weights, l2, m)
    return _mean(loss.sum(axis=0), sample_weight) + l2_penalty(weights, l2, m)


def categorical_cross_entropy(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    """Categorical cross-entropy of softmax(ZL), from the logits.

    Parameters
    ----------
    ZL, Y : ndarray of shape (C, m); each column of Y is one-hot.
    weights, l2, sample_weight : as in `binary_cross_entropy`.

    Notes
    -----
    .. math:: J = \\frac{1}{m}\\sum_i \\Big(\\log\\sum_k e^{z_k} - \\sum_k y_k z_k\\Big)
              + \\frac{\\lambda}{2m}\\sum_l \\|W^{[l]}\\|_F^2
    """
    m = ZL.shape[1]
    zmax = ZL.max(axis=0)
    lse = zmax + np.log(np.exp(ZL - zmax).sum(axis=0))
    return _mean(lse - (Y * ZL).sum(axis=0), sample_weight) + l2_penalty(weights, l2, m)


def mean_squared_error(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    """Half mean squared error of the identity output.

    Parameters
    ----------
    ZL, Y : ndarray of shape (n_L, m)
    weights, l2, sample_weight : as in `binary_cross_entropy`.

    Notes
    -----
    .. math:: J = \\frac{1}{2m}\\sum_i \\|z^{(i)} - y^{(i)}\\|^2
              + \\frac{\\lambda}{2m}\\sum_l \\|W^{[l]}\\|_F^2
    """
    m = ZL.shape[1]
    if sample_weight is None:
        return float(np.sum((ZL - Y) ** 2)) / (2 * m) + l2_penalty(weights, l2, m)
    return _mean(((ZL - Y) ** 2).sum(axis=0), sample_weight) / 2 + l2_penalty(weights, l2, m)


COSTS = {"sigmoid": binary_cross_entropy, "softmax": categorical_cross_entropy,
         "identity": mean_squared_error}


# ------------------------------------------------------------------- dropout
def dropout_mask(seed, step, layer, shape, keep_prob, dtype=np.float64):
    """Keep mask D from the counter-based hash (see `kernels.hashing`).

    Parameters
    ----------
    seed, step, layer : int
        Stream coordinates; the row is the unit, the column the example.
    shape : tuple (n_l, m)
    keep_prob : float
    dtype : dtype of the mask

    Returns
    -------
    D : ndarray of shape (n_l, m) holding 1 (keep) or 0 (drop)
    """
    n, m = shape
    with np.errstate(over="ignore"):
        key = hashing.stream_key(np.uint64(seed), np.uint64(step), np.uint64(layer))
        rows = hashing.row_key(key, np.arange(n, dtype=np.uint64))[:, None]
        U = hashing.uniform(rows, np.arange(m, dtype=np.uint64)[None, :])
    return (U < keep_prob).astype(dtype)


def dropout_forward(A, D, keep_prob):
    """Inverted dropout: A * D / keep_prob, shape (n_l, m)."""
    return A * D / A.dtype.type(keep_prob)


def dropout_backward(dA, D, keep_prob):
    """Gradient through inverted dropout: dA * D / keep_prob, shape (n_l, m)."""
    return dA * D / dA.dtype.type(keep_prob)


# ---------------------------------------------------------------- optimizers
def gd_update(theta, grad, lr):
    """In place: theta -= lr * grad. Flat arrays of shape (n_params,)."""
    theta -= theta.dtype.type(lr) * grad


def momentum_update(theta, grad, v, lr, beta):
    """In place: v = beta v + (1 - beta) grad; theta -= lr v."""
    t = theta.dtype.type
    v *= t(beta)
    v += t(1 - beta) * grad
    theta -= t(lr) * v


def rmsprop_update(theta, grad, s, lr, beta2, epsilon):
    """In place: s = beta2 s + (1 - beta2) grad**2; theta -= lr grad / (sqrt(s) + eps)."""
    t = theta.dtype.type
    s *= t(beta2)
    s += t(1 - beta2) * grad * grad
    theta -= t(lr) * grad / (np.sqrt(s) + t(epsilon))


def adam_update(theta, grad, v, s, lr, step, beta1, beta2, epsilon):
    """In place Adam step ``step`` (1-based), bias-corrected.

    Notes
    -----
    .. math:: v = \\beta_1 v + (1-\\beta_1) g, \\quad s = \\beta_2 s + (1-\\beta_2) g^2,
              \\quad \\theta \\mathrel{-}= \\alpha \\frac{v/(1-\\beta_1^t)}{\\sqrt{s/(1-\\beta_2^t)} + \\epsilon}
    """
    t = theta.dtype.type
    v *= t(beta1)
    v += t(1 - beta1) * grad
    s *= t(beta2)
    s += t(1 - beta2) * grad * grad
    v_hat = v / t(1 - beta1 ** step)
    s_hat = s / t(1 - beta2 ** step)
    theta -= t(lr) * v_hat / (np.sqrt(s_hat) + t(epsilon))


def _nesterov_update(theta, grad, v, lr, beta):
    """In place: v = beta v + (1 - beta) grad; theta -= lr (beta v + (1 - beta) grad).

    Nesterov's momentum steps along the momentum looked ahead by one step. With v in the
    course's units (a moving average), this is ``torch.optim.SGD(momentum=beta,
    nesterov=True)`` at learning rate lr (1 - beta).
    """
    t = theta.dtype.type
    v *= t(beta)
    v += t(1 - beta) * grad
    theta -= t(lr) * (t(beta) * v + t(1 - beta) * grad)


def optimizer_update(theta, grad, states, lr, step, opt):
    """Dispatch one step of `opt` (an OptSpec) over flat arrays; states as from `opt.n_states`.

    "nesterov" has no op of its own: v = beta v + (1 - beta) grad, then
    theta -= lr (beta v + (1 - beta) grad).
    """
    if opt.name == "gd":
        gd_update(theta, grad, lr)
    elif opt.name == "momentum":
        momentum_update(theta, grad, states[0], lr, opt.beta)
    elif opt.name == "nesterov":
        _nesterov_update(theta, grad, states[0], lr, opt.beta)
    elif opt.name == "rmsprop":
        rmsprop_update(theta, grad, states[0], lr, opt.beta2, opt.epsilon)
    else:
        adam_update(theta, grad, states[0], states[1], lr, step, opt.beta1, opt.beta2,
                    opt.epsilon)


# ----------------------------------------------------------- standardization
def standardize_fit(X):
    """Mean and standard deviation of each feature.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)

    Returns
    -------
    mean, std : ndarrays of shape (n_x,); a zero std is replaced by 1.
    """
    mean = X.mean(axis=1)
    std = X.std(axis=1)
    std[std == 0] = 1
    return mean, std


def standardize(X, mean, std):
    """(X - mean) / std per feature, X of shape (n_x, m)."""
    return (X - mean[:, None]) / std[:, None]
