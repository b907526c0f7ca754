"""The whole network on the NumPy reference ops: outputs, costs, gradients and training."""
import numpy as np

from .ops import (COSTS, activation_backward, dropout_backward, dropout_forward, dropout_mask,
                  linear_backward, linear_forward, optimizer_update, output_delta)


def network_output(theta, X, spec):
    """Output A^{[L]} of shape (n_L, m) for X of shape (n_0, m), without dropout."""
    A = X
    layers = spec.unpack(theta)
    for l, (W, b) in enumerate(layers, start=1):
        act = spec.output if l == len(layers) else spec.activation
        _, A = linear_forward(W, b, A, act, spec.slope)
    return A


def cost_and_gradients(theta, X, Y, spec, seed=None, step=0, grad=None, sample_weight=None):
    """Cost J and its gradient with respect to theta, for one batch.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
    X : ndarray of shape (n_0, m)
    Y : ndarray of shape (n_L, m)
    spec : NetSpec
    seed, step : int
        Dropout stream; with seed None no dropout is applied.
    grad : ndarray of shape (n_params,), optional
        Filled in place when given.
    sample_weight : ndarray of shape (m,), optional
        Example weights w: J = (1/m) sum_i w_i L_i + lambda/(2m) sum_l ||W_l||^2, so
        dZ_L's column i is scaled by w_i. The estimators pass w = s m / sum(s) and
        lambda m / sum(s) for user weights s, which makes J = (sum_i s_i L_i +
        lambda/2 sum_l ||W_l||^2) / sum(s).

    Returns
    -------
    cost : float
        J with its L2 term, under the dropout mask of (seed, step).
    grad : ndarray of shape (n_params,)
    """
    layers = spec.unpack(theta)
    L = len(layers)
    caches = []
    A = X
    for l, (W, b) in enumerate(layers, start=1):
        act = spec.output if l == L else spec.activation
        A_prev = A
        Z, A = linear_forward(W, b, A_prev, act, spec.slope)
        D = None
        keep = spec.keep_probs[l]
        if seed is not None and keep < 1.0:
            D = dropout_mask(seed, step, l, A.shape, keep, A.dtype)
            A = dropout_forward(A, D, keep)
        caches.append((A_prev, Z, D))
    cost = COSTS[spec.output](Z, Y, [W for W, _ in layers], spec.l2, sample_weight)
    if grad is None:
        grad = np.empty_like(theta)
    grads = spec.unpack(grad)
    dZ = output_delta(A, Y, sample_weight)
    for l in range(L, 0, -1):
        A_prev, _, _ = caches[l - 1]
        dW, db, dA_prev = linear_backward(dZ, A_prev, layers[l - 1][0], spec.l2, l > 1)
        grads[l - 1][0][...] = dW
        grads[l - 1][1][...] = db
        if l > 1:
            _, Z_prev, D_prev = caches[l - 2]
            if D_prev is not None:
                dA_prev = dropout_backward(dA_prev, D_prev, spec.keep_probs[l - 1])
            dZ = activation_backward(dA_prev, Z_prev, spec.activation, spec.slope)
    return cost, grad


def train_epochs(theta, states, X, Y, perms, lrs, spec, opt, batch_size, seed, step,
                 sample_weight=None):
    """Run whole epochs of mini-batch training in place.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        Updated in place.
    states : tuple of ndarray of shape (n_params,)
        Optimizer state, updated in place.
    X : ndarray of shape (m, n_0)
        The training set sample-major, as the user holds it; each mini-batch is
        gathered and handed to the ops as A^{[0]} of shape (n_0, m_b).
    Y : ndarray of shape (m, n_L)
    perms : ndarray of int64, shape (n_epochs, m)
        Order of the examples in each epoch.
    lrs : ndarray of shape (n_epochs,)
        Learning rate of each epoch.
    spec : NetSpec
    opt : OptSpec
    batch_size : int
        The last mini-batch of an epoch may be smaller.
    seed : int
        Dropout seed.
    step : int
        Number of steps taken before this call; step t+1 uses dropout stream
        t+1 and Adam's bias correction for t+1.
    sample_weight : ndarray of shape (m,), optional
        Example weights, gathered with each mini-batch (see `cost_and_gradients`).

    Returns
    -------
    losses : ndarray of shape (n_epochs,)
        Mean over the epoch's mini-batches of J (with L2 and dropout),
        each weighted by its size. Training stops before the first step whose
        cost or gradient is not finite, leaving theta as it was; that epoch and
        the ones after it get NaN.
    """
    losses = np.zeros(len(lrs))
    grad = np.empty_like(theta)
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite steps are caught below
        _epochs(theta, states, X, Y, perms, lrs, spec, opt, batch_size, seed, step, grad, losses,
                sample_weight)
    return losses


def _epochs(theta, states, X, Y, perms, lrs, spec, opt, batch_size, seed, step, grad, losses,
            sample_weight):
    m = X.shape[0]
    in_order = np.arange(m)
    for e in range(len(lrs)):
        # an epoch in data order (no shuffling) reads its batches as views, not copies
        ordered = np.array_equal(perms[e], in_order)
        for start in range(0, m, batch_size):
            idx = slice(start, start + batch_size) if ordered else \
                perms[e, start:start + batch_size]
            step += 1
            w = None if sample_weight is None else sample_weight[idx]
            cost, _ = cost_and_gradients(theta, X[idx].T, Y[idx].T, spec, seed, step, grad, w)
            if not (np.isfinite(cost) and np.all(np.isfinite(grad))):
                losses[e:] = np.nan
                return
            losses[e] += cost * X[idx].shape[0] / m
            optimizer_update(theta, grad, states, lrs[e], step, opt)


def network_cost(theta, X, Y, spec, sample_weight=None):
    """J of the whole network on (X, Y), with its L2 term and without dropout; with
    example weights as in `cost_and_gradients`."""
    A = X
    layers = spec.unpack(theta)
    for W, b in layers[:-1]:
        _, A = linear_forward(W, b, A, spec.activation, spec.slope)
    ZL = layers[-1][0] @ A + layers[-1][1][:, None]
    return COSTS[spec.output](ZL, Y, [W for W, _ in layers], spec.l2, sample_weight)


def make_trainer(theta, states, X, Y, spec, opt, batch_size, seed, step=0, sample_weight=None):
    """A trainer that runs `train_epochs` on host arrays."""
    from ..trainer import HostTrainer
    return HostTrainer(train_epochs, theta, states, X, Y, spec, opt, batch_size, seed, step,
                       sample_weight=sample_weight)
