"""The training loop of small networks, fused into one compiled function.

A network trains here when every kernel of its training step has less work than
``config.FUSED_MAX_WORK``. Such a step is a few thousand multiply-adds, and the layer loop
of ``network.py`` calls a dozen kernels and BLAS products a step from Python, each call
costing more than its arithmetic. Here the activations live in 3-D buffers, layer l of Z,
A, D and dZ being slab l of (L + 1, n_max, capacity) arrays (slab 0 of A holds the
mini-batch), and the parameters are indexed in the flat vector at their `NetSpec`
offsets, so a step builds no views; the forward and backward passes are compiled once and
called once a step. Each layer's product, bias, activation, dropout and derivative are
loops over contiguous rows of the mini-batch, which LLVM vectorizes, and so is the output
pass, with the exp and log1p of ``elementary.py``. The arithmetic follows the layer kernels
of ``layers.py`` operation for operation.

The same forward and backward passes serve such networks' predictions, costs and
gradients: `kernels.cpu` calls them from Python, a chunk of columns at a time, so that a
small network's first fit and predict compile only this module's code, and only once.
The forward pass and the loop are compiled once per output activation (`FUSED`), each
without the other outputs' code, which would otherwise be compiled on every first fit.
"""
import math

import numpy as np

from .. import hashing
from ..spec import IDENTITY, LEAKY_RELU, RELU, SIGMOID, SOFTMAX, TANH
from ..clone import clone
from ._jit import jit
from .elementary import exp_nonpositive, log1p_unit
from .layers import (layer_stream, output_column, sigmoid, sigmoid_grad, sigmoid_of, tanh,
                     tanh_grad)
from .network import hyperparameters, set_hyperparameters
from .updates import gather_columns_serial, optimizer_step_serial

#: The output activation of `forward_cost`; each compiled copy in `FUSED` sets its own.
OUTPUT = SIGMOID


def forward_cost(theta, Yb, stack, net, seed, step, dropout, mb):
    """Forward pass of the mini-batch in A[0] (n_0, mb) and its cost J with the L2 term.

    Yb (n_L + 1, capacity) holds the targets and, in row n_L, the example weights w.
    Fills Z[l], A[l] (and the masks D[l]) of every layer, A[L] with the output
    activation, and dZ[L] = w (A[L] - Y); J = (1/mb) sum_j w_j c_j + the L2 term.
    """
    sizes, offsets, keeps = net.sizes, net.offsets, net.keeps
    act, slope, l2 = net.act, net.slope, net.l2
    A, Z, D, dZ = stack
    L = sizes.size - 1
    squares = 0.0
    for l in range(1, L + 1):
        n, k, w0, keep, key = layer_stream(sizes, offsets, keeps, dropout, seed, step, l)
        for i in range(n):
            z, a, d = Z[l, i], A[l, i], D[l, i]
            for j in range(mb):
                z[j] = 0
            for c in range(k):
                w, a_in = theta[w0 + i * k + c], A[l - 1, c]
                for j in range(mb):
                    z[j] += w * a_in[j]
                squares += w * w
            bi = theta[w0 + n * k + i]
            for j in range(mb):
                z[j] += bi
            if l == L:
                continue
            if act == RELU:
                for j in range(mb):
                    a[j] = max(z[j], 0)
            elif act == LEAKY_RELU:
                for j in range(mb):
                    a[j] = z[j] if z[j] > 0 else z[j] * slope
            elif act == IDENTITY:
                for j in range(mb):
                    a[j] = z[j]
            elif act == SIGMOID:
                for j in range(mb):
                    a[j] = sigmoid(z[j])
            else:
                for j in range(mb):
                    a[j] = tanh(z[j])
            if keep < 1.0:
                row = hashing.row_key(key, np.uint64(i))
                for j in range(mb):
                    d[j] = 1 if hashing.uniform(row, np.uint64(j)) < keep else 0
                for j in range(mb):
                    a[j] = a[j] / keep if d[j] else a[j] * 0
    total = 0.0
    nL = sizes[L]
    w = Yb[nL]
    if OUTPUT == SIGMOID:
        for i in range(nL):
            z, a, y = Z[L, i], A[L, i], Yb[i]
            for j in range(mb):
                e = exp_nonpositive(-abs(np.float64(z[j])))  # float64 for float32 data too
                a[j] = sigmoid_of(z[j], e)
                total += (max(z[j], 0) - z[j] * y[j] + log1p_unit(e)) * w[j]
    else:
        ZL, AL = Z[L, :nL], A[L, :nL]
        for j in range(mb):
            total += output_column(ZL, AL, Yb, j, net.out) * w[j]
    for i in range(nL):
        a, y, d = A[L, i], Yb[i], dZ[L, i]
        for j in range(mb):
            d[j] = (a[j] - y[j]) * w[j]
    return total / mb + (l2 / (2 * mb) * squares if l2 != 0.0 else 0.0)


@jit
def backward(theta, grad, stack, net, dropout, mb):
    """dW_l, db_l of every layer into `grad`, from dZ[L] down, with no dA for layer 1.

    dW = dZ A_prev^T / m + (l2 / m) W, db = sum of dZ's rows / m, and on the way down
    dZ_prev = (W^T dZ) * D_prev / keep * g'(Z_prev). Returns whether every gradient is
    finite (a sum of x * 0, which fastmath keeps since nnan and ninf are off).
    """
    sizes, offsets, keeps = net.sizes, net.offsets, net.keeps
    act, slope, l2 = net.act, net.slope, net.l2
    A, Z, D, dZ = stack
    inv_m, decay = 1.0 / mb, l2 / mb
    probe = 0.0
    for l in range(sizes.size - 1, 0, -1):
        n, k, w0 = sizes[l], sizes[l - 1], offsets[l - 1]
        for i in range(n):
            dz = dZ[l, i]
            total = dz[0] * 0
            for j in range(mb):
                total += dz[j]
            grad[w0 + n * k + i] = total * inv_m
            probe += total * 0
            for c in range(k):
                a_in = A[l - 1, c]
                acc = dz[0] * 0
                for j in range(mb):
                    acc += dz[j] * a_in[j]
                p = w0 + i * k + c
                grad[p] = acc * inv_m + decay * theta[p]
                probe += grad[p] * 0
        if l == 1:
            break
        keep = keeps[l - 1] if dropout else 1.0
        for c in range(k):
            dp, z, d = dZ[l - 1, c], Z[l - 1, c], D[l - 1, c]
            for j in range(mb):
                dp[j] = 0
            for i in range(n):
                w, dz = theta[w0 + i * k + c], dZ[l, i]
                for j in range(mb):
                    dp[j] += w * dz[j]
            if keep < 1.0:
                for j in range(mb):
                    dp[j] = dp[j] * d[j] / keep
            if act == RELU:
                for j in range(mb):
                    dp[j] = dp[j] if z[j] > 0 else dp[j] * 0
            elif act == LEAKY_RELU:
                for j in range(mb):
                    dp[j] = dp[j] if z[j] > 0 else dp[j] * slope
            elif act == SIGMOID:
                for j in range(mb):
                    dp[j] = sigmoid_grad(dp[j], z[j])
            elif act == TANH:
                for j in range(mb):
                    dp[j] = tanh_grad(dp[j], z[j])
    return probe == 0


def train_loop_small(theta, v, s, X, Y, perms, lrs, net, opt, batch, seed, step, stack, Yb,
                     grad, hp, losses, static_batch, have_A0):
    """Epochs of mini-batch training in place, as `network.train_loop` without its Gram path.

    X (m, n_0) and Y (m, n_L + 1) are sample-major, Y's last column holding the example
    weights; stack = (A, Z, D, dZ) are the (L + 1, n_max, batch) buffers and Yb the
    (n_L + 1, batch) one. With static_batch the whole
    data set is one batch in perms' order, gathered once (and not at all with have_A0).
    Training stops before the first step whose cost or gradient is not finite; that epoch
    and the ones after it get a NaN loss. Returns the number of steps taken so far.
    """
    sizes, dropout = net.sizes, net.dropout
    m = X.shape[0]
    n0 = sizes[0]
    for e in range(lrs.size):
        losses[e] = 0.0
        for start in range(0, m, batch):
            mb = min(batch, m - start)
            step += 1
            if not static_batch or (e == 0 and start == 0 and not have_A0):
                gather_columns_serial(X, perms[e], start, stack[0][0, :n0, :mb])
                gather_columns_serial(Y, perms[e], start, Yb[:, :mb])
            cost = forward_cost(theta, Yb, stack, net, seed, step, dropout, mb)
            finite = backward(theta, grad, stack, net, dropout, mb)
            if not (math.isfinite(cost) and finite):
                for k in range(e, lrs.size):
                    losses[k] = np.nan
                return step
            losses[e] += cost * mb / m
            set_hyperparameters(hp, opt, lrs[e], step)
            optimizer_step_serial(theta, grad, v, s, opt[0], hp)
    return step


def train_steps(theta, v, s, X, Y, perms, lrs, net, opt, batch, seed, step, stack, Yb, grad,
                hp, losses, static_batch, have_A0, forward_cost):
    """`train_loop_small` run from Python, for a process whose compiled loop is still being
    compiled elsewhere: the same compiled forward pass (`forward_cost`, the fit's copy from
    `FUSED`), backward pass and optimizer step, called once a step, in the same order and
    on the same buffers, so the parameters come out bit for bit the same. A step costs a
    few microseconds more in calls from Python."""
    sizes, dropout = net.sizes, net.dropout
    m, n0 = X.shape[0], int(sizes[0])
    A0 = stack[0][0]
    for e in range(len(lrs)):
        losses[e] = 0.0
        lr = lrs[e]
        for start in range(0, m, batch):
            mb = min(batch, m - start)
            step += 1
            if not static_batch or (e == 0 and start == 0 and not have_A0):
                idx = perms[e, start:start + mb]
                A0[:n0, :mb] = X[idx].T
                Yb[:, :mb] = Y[idx].T
            cost = forward_cost(theta, Yb, stack, net, seed, step, dropout, mb)
            finite = backward(theta, grad, stack, net, dropout, mb)
            if not (math.isfinite(cost) and finite):
                losses[e:] = np.nan
                return step
            losses[e] += cost * mb / m
            hp[:] = hyperparameters.py_func(opt, lr, step)
            optimizer_step_serial(theta, grad, v, s, opt[0], hp)
    return step


#: The forward pass and the training loop compiled once for each output activation, each
#: copy with its output's branch alone (``OUTPUT`` is that copy's constant): output code ->
#: (forward_cost, train_loop_small). A first fit compiles one pair.
FUSED = {}
for _code, _name in ((SIGMOID, "sigmoid"), (SOFTMAX, "softmax"), (IDENTITY, "identity")):
    _forward = jit(clone(forward_cost, "_" + _name, OUTPUT=_code))
    FUSED[_code] = (_forward, jit(clone(train_loop_small, "_" + _name, forward_cost=_forward)))
