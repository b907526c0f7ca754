"""The layer loop: training, costs and outputs of networks too large for the fused loop.

A Python loop drives each step. NumPy's matmul (NumPy's BLAS) computes every matrix product
into the work buffers, and a compiled serial kernel of ``layers.py`` follows each one: the
bias, activation and dropout on the way forward, the output activation with the cost and
delta, the bias gradient and L2 term, the dropout mask and activation derivative on the way
back; then the optimizer step of ``updates.py``. A step of these networks is hundreds of
microseconds of products or more, against a few microseconds a call from Python, and this
way a first fit compiles only those small kernels, not one whole-network function.

The epilogues run serially: BLAS brings its own threads, and running the light epilogue on
Numba's threads right after BLAS's would make the two pools fight for the cores. The
optimizer step runs on Numba's threads for networks of at least
``config.PARALLEL_MIN_WORK`` parameters.

Work buffers are flat arrays allocated once per fit (`Workspace`). The input is
sample-major, X0 of shape (m, n_0), one example per row, as the user holds the data: a
mini-batch is gathered by copying rows, and BLAS reads its transpose for free. Every later
activation is feature-major, (n_l, m), in the course's layout.
"""
import math

import numba
import numpy as np

from .. import config
from ._jit import jit
from .layers import (BLOCK, IDENTITY, backward_epilogues, forward_epilogues, gradient_epilogues,
                     output_cost_serial)
from .updates import (gather_rows_serial, optimizer_step_parallel, optimizer_step_serial,
                      sum_of_squares_serial)


class Workspace:
    """Flat buffers for a network of layer sizes `sizes` and mini-batches of up to `capacity`."""

    def __init__(self, sizes, capacity, dtype, n_params):
        self.capacity = int(capacity)
        hidden_and_out = int(sum(sizes[1:])) * self.capacity
        self.Z = np.empty(hidden_and_out, dtype)
        self.A = np.empty(hidden_and_out, dtype)
        self.dZ = np.empty(hidden_and_out, dtype)
        self.D = np.ones(hidden_and_out, np.uint8)
        self.partial = np.zeros(max(64, -(-self.capacity // BLOCK)), np.float64)
        self._X0 = None
        self._x0_size = self.capacity * int(sizes[0])
        self.Y = np.empty((sizes[-1] + 1) * self.capacity, dtype)  # targets and weights
        self.grad = np.empty(n_params, dtype)
        self.hp = np.zeros(8, dtype)
        self.gram = None  # Gram-path buffers, made on first use; G stays valid for the fit
        self.gram_ready = False
        # which layout's buffers hold a static full batch: "flat" (its targets in Y; the
        # inputs are read from the data set itself) or "stacked" (A[0] and Y)
        self.batch_ready = None
        self._stacked = None

    def X0(self):
        """The flat mini-batch buffer of (capacity, n_0) rows, made on first use (a static
        full batch is read from the data set itself)."""
        if self._X0 is None:
            self._X0 = np.empty(self._x0_size, self.Z.dtype)
        return self._X0

    def stacked(self, sizes):
        """(A, Z, D, dZ) as (L + 1, n_max, capacity) buffers, A[0] for the mini-batch, and
        Y as (n_L + 1, capacity), targets and weights: the layout of
        `small.train_loop_small`, made on first use."""
        if self._stacked is None:
            self._stacked = (stacked_buffers(sizes, self.capacity, self.Z.dtype),
                             self.Y.reshape(sizes[-1] + 1, self.capacity))
        return self._stacked


def stacked_buffers(sizes, capacity, dtype):
    """(A, Z, D, dZ) as (L + 1, n_max, capacity) arrays, layer l in slab l."""
    shape = (len(sizes), max(sizes), capacity)
    return (np.zeros(shape, dtype), np.zeros(shape, dtype), np.ones(shape, np.uint8),
            np.zeros(shape, dtype))


def layer_views(buf, sizes, capacity, mb):
    """Views (n_l, mb) of layers 1..L into a flat buffer laid out for `capacity` columns."""
    views, start = [], 0
    for n in sizes[1:]:
        views.append(buf[start:start + n * mb].reshape(n, mb))
        start += n * capacity
    return views


def batch_views(ws, sizes, capacity, mb):
    """(Zs, As, Ds, dZs): every layer's views of the workspace for a batch of mb columns."""
    return tuple(layer_views(buf, sizes, capacity, mb) for buf in (ws.Z, ws.A, ws.D, ws.dZ))


_NO_KEY = np.uint64(0)


def stream_key(seed, step, layer):
    """The dropout stream key of (seed, step, layer), as the compiled kernels compute it."""
    from .. import hashing
    with np.errstate(over="ignore"):
        return hashing.stream_key(np.uint64(seed), np.uint64(step), np.uint64(layer))


def plain(net):
    """`net` (a `CompiledNet`) with Python numbers and lists, which cost less than NumPy
    scalars to pass to a compiled kernel from Python."""
    return net._replace(sizes=[int(n) for n in net.sizes], offsets=[int(o) for o in net.offsets],
                        keeps=[float(k) for k in net.keeps], act=int(net.act),
                        out=int(net.out))


def forward_pass(Ws, bs, X0, views, net, seed, step, dropout, activate_output, WA=None):
    """Fill Z, A (and D) of every layer for the examples in the rows of X0 (mb, n_0);
    return A_L.

    Without activate_output the last layer gets Z only: `cost_of_output` then applies the
    output activation in the same pass as the cost. With WA, Z_1 = WA, which holds W_1 A0
    (the Gram path of `train_loop`).
    """
    Zs, As, Ds, _ = views
    keeps, act, out, slope = net.keeps, net.act, net.out, net.slope
    L = len(Ws)
    A_prev = X0.T
    for l in range(1, L + 1):
        W, Z = Ws[l - 1], Zs[l - 1]
        if l == 1 and WA is not None:
            Z[...] = WA
        else:
            np.matmul(W, A_prev, out=Z)
        code = act if l < L else (out if activate_output else IDENTITY)
        keep = keeps[l] if dropout else 1.0
        key = stream_key(seed, step, l) if keep < 1.0 else _NO_KEY
        forward_epilogues(bs[l - 1], Z, As[l - 1], Ds[l - 1], code, slope, keep, key)
        A_prev = As[l - 1]
    return A_prev


def cost_of_output(Ws, Y, views, net, partial, want_delta, first_squares=None):
    """J on the last forward pass (data term plus L2), with the output activation applied
    to A_L in the same pass; fills dZ_L = w (A_L - Y) when asked. Y is (n_L + 1, m): the
    targets, then the example weights w. first_squares, when given, is ||W_1||^2 known by
    the caller (the Gram path)."""
    Zs, As, _, dZs = views
    out, l2 = net.out, net.l2
    mb = Y.shape[1]
    nb = -(-mb // BLOCK)
    output_cost_serial(Zs[-1], As[-1], Y, dZs[-1], out, partial[:nb], want_delta)
    cost = sum(partial[:nb].tolist()) / mb
    if l2 != 0.0:
        squares = 0.0
        for i, W in enumerate(Ws):
            if i == 0 and first_squares is not None:
                squares += first_squares
            else:
                squares += sum_of_squares_serial(W.ravel(), partial)
        cost += l2 / (2 * mb) * squares
    return cost


def backward_pass(Ws, dWs, dbs, X0, views, net, dropout, db_only_first=False):
    """Fill dW, db from dZ_L (already in place) down to layer 1; no dA for layer 1.

    With db_only_first, layer 1 gets db only and dW_1 = 0 (the Gram path updates W_1).
    Returns whether every dW and db is finite.
    """
    Zs, As, Ds, dZs = views
    keeps, act, slope, l2 = net.keeps, net.act, net.slope, net.l2
    finite = True
    for l in range(len(Ws), 0, -1):
        W, dZ, dW = Ws[l - 1], dZs[l - 1], dWs[l - 1]
        db_only = db_only_first and l == 1
        if not db_only:
            np.matmul(dZ, X0 if l == 1 else As[l - 2].T, out=dW)
        finite &= gradient_epilogues(dZ, W, l2, dW, dbs[l - 1], db_only)
        if l > 1:
            keep = keeps[l - 1] if dropout else 1.0
            np.matmul(W.T, dZ, out=dZs[l - 2])
            backward_epilogues(dZs[l - 2], Zs[l - 2], Ds[l - 2], keep, act, slope)
    return finite


def network_pass(theta, grad, X0, Y, net, ws, seed, step, dropout, mode):
    """One pass on a batch held sample-major in X0 (m, n_0): mode "output" leaves A_L in
    the A buffer and returns 0, "cost" returns the cost, "gradient" the cost with its
    gradient in `grad`."""
    net = plain(net)
    sizes = net.sizes
    Ws, bs = param_views(theta, sizes, net.offsets)
    mb = X0.shape[0]
    views = batch_views(ws, sizes, mb, mb)
    forward_pass(Ws, bs, X0, views, net, seed, step, dropout, mode == "output")
    if mode == "output":
        return 0.0
    cost = cost_of_output(Ws, Y, views, net, ws.partial, mode == "gradient")
    if mode == "gradient":
        dWs, dbs = param_views(grad, sizes, net.offsets)
        backward_pass(Ws, dWs, dbs, X0, views, net, dropout)
    return cost


def param_views(theta, sizes, offsets):
    """Lists of W_l (n_l, n_{l-1}) and b_l (n_l,) views into a flat parameter vector."""
    Ws, bs = [], []
    for l in range(1, len(sizes)):
        n, k, s = sizes[l], sizes[l - 1], offsets[l - 1]
        Ws.append(theta[s:s + n * k].reshape(n, k))
        bs.append(theta[s + n * k:s + n * (k + 1)])
    return Ws, bs


@jit(inner=True)
def hyperparameters(opt, lr, step):
    """The hp of `updates.optimizer_step` at step t: (lr, beta, 1 - beta, beta2, 1 - beta2,
    epsilon, 1 - beta^t, 1 - beta2^t), from opt = `OptSpec.compiled()` (beta is beta1 for
    adam). t is a float, so that the powers are libm's in compiled code and in Python."""
    _, beta, beta2, eps = opt
    t = float(step)
    return (float(lr), beta, 1 - beta, beta2, 1 - beta2, eps, 1 - beta ** t, 1 - beta2 ** t)


@jit(inner=True)
def set_hyperparameters(hp, opt, lr, step):
    """hp[:] = `hyperparameters`(opt, lr, step)."""
    values = hyperparameters(opt, lr, step)
    for i in range(8):
        hp[i] = values[i]


class Gram:
    """The Gram path's state for full-batch gradient descent with more features than
    examples (n_0 > m), the data set X (m, n_0) being the one batch, A0 = X^T.

    Plain gradient descent changes W_1 only by r W_1 - (lr / m) dZ_1 A0^T with
    r = 1 - lr * l2 / m, so with G = A0^T A0 the product WA = W_1 A0 follows
    WA <- r WA - (lr / m) dZ_1 G: (n_1, m) x (m, m) work per step instead of two
    (n_1, n_0) x (n_0, m) products. W_1 = c W_1(0) - U A0^T is formed once, at the end,
    from c <- r c and U <- r U + (lr / m) dZ_1; the L2 term needs
    ||W_1||^2 = c^2 ||W_1(0)||^2 - 2 c <P0, U> + <U G, U> with P0 = W_1(0) A0.
    """

    def __init__(self, buffers, X, W1, have_G):
        self.G, self.WA, self.U, self.P0, self.UG = buffers
        if not have_G:
            np.matmul(X, X.T, out=self.G)
        np.matmul(W1, X.T, out=self.WA)
        self.P0[...] = self.WA
        self.U[...] = 0
        self.c, self.w0_squares = 1.0, float(np.vdot(W1, W1))

    def first_squares(self):
        """||W_1||^2 of the current step."""
        np.matmul(self.U, self.G, out=self.UG)
        return (self.c * self.c * self.w0_squares - 2 * self.c * float(np.vdot(self.P0, self.U))
                + float(np.vdot(self.UG, self.U)))

    def step(self, dZ1, lr, l2):
        m = dZ1.shape[1]
        r = 1 - lr * l2 / m
        self.c *= r
        self.U *= r
        self.U += (lr / m) * dZ1
        np.matmul(dZ1, self.G, out=self.UG)
        self.WA *= r
        self.WA -= (lr / m) * self.UG

    def finish(self, W1, X, scratch):
        """W_1 = c W_1(0) - U A0^T, in place; scratch is a spare (n_1, n_0) buffer."""
        np.matmul(self.U, X, out=scratch)
        W1 *= self.c
        W1 -= scratch


def train_loop(theta, v, s, X, Y, perms, lrs, net, opt, batch, seed, step, ws, static_batch,
               gram, have_G, have_A0, losses):
    """Epochs of mini-batch training in place; X (m, n_0) and Y (m, n_L + 1) are
    sample-major, Y's last column holding the example weights.

    Each mini-batch is gathered into ws's X0 buffer as (mb, n_0) rows and into its Y buffer
    as (n_L + 1, mb). With static_batch the whole data set is one batch in its own order (the
    caller checks that perms is the identity): the layers then read X itself, and with
    have_A0 the targets are already in the Y buffer. gram, when not None, holds the buffers
    of the Gram path (see `Gram`), which static full-batch gradient descent may take; with
    have_G, its G already holds A0^T A0 from an earlier call of the same fit.

    Training stops before the first step whose cost or gradient is not finite, leaving the
    parameters as they were; that epoch and the ones after it get a NaN loss.
    Fills losses[e] with epoch e's mean cost and returns the number of steps taken so far.
    """
    net = plain(net)
    sizes, offsets, l2 = net.sizes, net.offsets, net.l2
    m, n0, nY = X.shape[0], sizes[0], Y.shape[1]
    dropout = net.dropout
    code = int(opt[0])
    grad, hp = ws.grad, ws.hp
    Ws, bs = param_views(theta, sizes, offsets)
    dWs, dbs = param_views(grad, sizes, offsets)
    last = m - (m - 1) // batch * batch
    views_of = {batch: batch_views(ws, sizes, batch, batch)}
    views_of[last] = batch_views(ws, sizes, batch, last)
    numba.get_num_threads()  # starts Numba's pool, which cached parallel code needs loaded
    step_kernel = (optimizer_step_parallel if theta.size >= config.PARALLEL_MIN_WORK
                   else optimizer_step_serial)
    if static_batch:
        X0, Yb = X, ws.Y[:nY * m].reshape(nY, m)
        if not have_A0:
            Yb[...] = Y.T
    state = Gram(gram, X, Ws[0], have_G) if gram is not None else None
    for e in range(len(lrs)):
        losses[e] = 0.0
        for start in range(0, m, batch):
            mb = min(batch, m - start)
            views = views_of[mb]
            step += 1
            if not static_batch:
                idx = perms[e, start:start + mb]
                X0 = ws.X0()[:mb * n0].reshape(mb, n0)
                gather_rows_serial(X, idx, 0, X0)
                Yb = ws.Y[:nY * mb].reshape(nY, mb)
                Yb[...] = np.take(Y, idx, axis=0).T
            squares = None
            if state is not None and l2 != 0.0:
                squares = state.first_squares()
            forward_pass(Ws, bs, X0, views, net, seed, step, dropout, False,
                         None if state is None else state.WA)
            cost = cost_of_output(Ws, Yb, views, net, ws.partial, True, squares)
            finite = backward_pass(Ws, dWs, dbs, X0, views, net, dropout, state is not None)
            if not (math.isfinite(cost) and finite):
                losses[e:] = np.nan
                break
            losses[e] += cost * mb / m
            if state is not None:
                state.step(views[3][0], float(lrs[e]), l2)
            hp[:] = hyperparameters.py_func(opt, float(lrs[e]), step)
            step_kernel(theta, grad, v, s, code, hp)
        if not np.isfinite(losses[e]):
            break
    if state is not None:
        state.finish(Ws[0], X, dWs[0])
    return step
