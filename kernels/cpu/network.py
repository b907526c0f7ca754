"""The whole network in compiled code: forward pass, backward pass and the training loop.

Work buffers are flat arrays allocated once per fit (`Workspace`). The views of every
layer's W, b, dW, db and of its Z, A, dropout mask D and dZ for a mini-batch of mb
columns are built once per call into lists, so a training step neither allocates nor
reshapes. Each layer's kernels run serially, through loops or BLAS by the thresholds in
``launch`` = (parallel_min_work, blas_min_work); the optimizer step runs on Numba's threads
for networks of at least parallel_min_work parameters.

The network's input is sample-major, X0 of shape (m, n_0), one example per row, as the
user holds the data: a mini-batch is gathered by copying rows, and the first layer's
kernels read it with ``a_rows`` (see ``layers.py``). Every later activation is
feature-major, (n_l, m), in the course's layout.
"""
import numpy as np

from .. import hashing
from ._jit import jit
from .blas import gemm
from .layers import (BLAS, GIVEN, IDENTITY, LOOPS, backprop_serial, forward_serial, n_blocks,
                     output_cost_serial, weight_grads_serial)
from .updates import (ADAM, gather_columns_serial, gather_rows_serial,
                      optimizer_step_parallel, optimizer_step_serial, sum_of_squares_serial)


class Workspace:
    """Flat buffers for a network of layer sizes `sizes` and mini-batches of up to `capacity`."""

    def __init__(self, sizes, capacity, dtype, n_params):
        self.capacity = int(capacity)
        hidden_and_out = int(sum(sizes[1:])) * self.capacity
        self.Z = np.empty(hidden_and_out, dtype)
        self.A = np.empty(hidden_and_out, dtype)
        self.dZ = np.empty(hidden_and_out, dtype)
        self.D = np.ones(hidden_and_out, np.uint8)
        self.partial = np.zeros(max(64, n_blocks(self.capacity)), np.float64)
        self._X0 = None
        self._x0_size = self.capacity * int(sizes[0])
        self.Y = np.empty((sizes[-1] + 1) * self.capacity, dtype)  # targets and weights
        self.grad = np.empty(n_params, dtype)
        self.hp = np.zeros(8, dtype)
        self.row_ok = np.ones(int(sum(sizes[1:])), np.float64)
        self.gram = None  # Gram-path buffers, made on first use; G stays valid for the fit
        self.gram_ready = False
        # which layout's buffers hold a static full batch: "flat" (its targets in Y; the
        # inputs are read from the data set itself) or "stacked" (A[0] and Y)
        self.batch_ready = None
        self._stacked = None

    def buffers(self):
        return self.Z, self.A, self.D, self.dZ, self.partial, self.row_ok

    def X0(self, needed=True):
        """The flat mini-batch buffer of (capacity, n_0) rows, made on first use; an empty
        array when not `needed` (a static full batch, read from the data set itself)."""
        if not needed:
            return self.Z[:0]
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


@jit(inner=True)
def layer_views(buf, sizes, capacity, mb):
    """Views (n_l, mb) of layers 1..L into a flat buffer laid out for `capacity` columns."""
    views = []
    start = 0
    for l in range(1, sizes.size):
        views.append(buf[start:start + sizes[l] * mb].reshape((sizes[l], mb)))
        start += sizes[l] * capacity
    return views


@jit(inner=True)
def param_views(theta, sizes, offsets):
    """Lists of W_l (n_l, n_{l-1}) and b_l (n_l,) views into a flat parameter vector."""
    Ws, bs = [], []
    for l in range(1, sizes.size):
        n, k, s = sizes[l], sizes[l - 1], offsets[l - 1]
        Ws.append(theta[s:s + n * k].reshape((n, k)))
        bs.append(theta[s + n * k:s + n * (k + 1)])
    return Ws, bs


@jit(inner=True)
def batch_views(ws, sizes, capacity, mb):
    Z, A, D, dZ = ws[0], ws[1], ws[2], ws[3]
    return (layer_views(Z, sizes, capacity, mb), layer_views(A, sizes, capacity, mb),
            layer_views(D, sizes, capacity, mb), layer_views(dZ, sizes, capacity, mb))


@jit(inner=True)
def product_mode(work, blas_min):
    return BLAS if work >= blas_min else LOOPS


@jit(inner=True)
def forward_pass(Ws, bs, X0, views, net, seed, step, dropout, launch, activate_output,
                 first_given):
    """Fill Z, A (and D) of every layer for the examples in the rows of X0 (mb, n_0);
    return A_L.

    The layer kernels run serially: a product with enough work for Numba's threads
    (``config.PARALLEL_MIN_WORK``) also has enough for BLAS (``config.BLAS_MIN_WORK``),
    which brings its own threads, and running the light epilogue on Numba's threads right
    after BLAS's would make the two pools fight for the cores.

    Without activate_output the last layer gets Z only: `cost_of_output` then applies the
    output activation in the same pass as the cost. With first_given, Z_1 already holds
    W_1 A0 (the Gram path of `train_loop`).
    """
    Zs, As, Ds, _ = views
    sizes, _, keeps, act, out, slope, _ = net
    blas_min = launch[1]
    mb = X0.shape[0]
    L = sizes.size - 1
    A_prev = X0
    for l in range(1, L + 1):
        code = act if l < L else (out if activate_output else IDENTITY)
        keep = keeps[l] if dropout else 1.0
        key = hashing.stream_key(np.uint64(seed), np.uint64(step), np.uint64(l))
        work = sizes[l] * sizes[l - 1] * mb
        product = GIVEN if first_given and l == 1 else product_mode(work, blas_min)
        forward_serial(Ws[l - 1], bs[l - 1], A_prev, l == 1, Zs[l - 1], As[l - 1], Ds[l - 1],
                       code, slope, keep, key, product)
        A_prev = As[l - 1]
    return A_prev


@jit(inner=True)
def cost_of_output(Ws, Y, views, net, partial, want_delta, first_squares):
    """J on the last forward pass (data term plus L2), with the output activation applied
    to A_L in the same pass; fills dZ_L = w (A_L - Y) when asked. Y is (n_L + 1, m): the
    targets, then the example weights w.

    first_squares, when not negative, is ||W_1||^2 known by the caller (the Gram path).
    Both passes are serial: they read n_L m and the weights once, little work beside a
    step's products, and their parallel compilations cost seconds on a first fit.
    """
    Zs, As, _, dZs = views
    out, l2 = net[4], net[6]
    mb = Y.shape[1]
    nb = n_blocks(mb)
    output_cost_serial(Zs[-1], As[-1], Y, dZs[-1], out, partial[:nb], want_delta)
    total = 0.0
    for c in range(nb):
        total += partial[c]
    cost = total / mb
    if l2 != 0.0:
        squares = 0.0
        for i, W in enumerate(Ws):
            if i == 0 and first_squares >= 0:
                squares += first_squares
            else:
                squares += sum_of_squares_serial(W.ravel(), partial)
        cost += l2 / (2 * mb) * squares
    return cost


@jit(inner=True)
def backward_pass(Ws, dWs, dbs, X0, views, net, dropout, launch, row_ok, first_given):
    """Fill dW, db from dZ_L (already in place) down to layer 1; no dA for layer 1, with
    serial layer kernels as in `forward_pass`.

    With first_given, layer 1 gets db only and dW_1 = 0 (the Gram path updates W_1).
    Returns whether every dW and db is finite (from the kernels' per-row flags in row_ok).
    """
    Zs, As, Ds, dZs = views
    sizes, _, keeps, act, _, slope, l2 = net
    blas_min = launch[1]
    mb = X0.shape[0]
    row_start = 0
    for l in range(sizes.size - 1, 0, -1):
        rows = row_ok[row_start:row_start + sizes[l]]
        row_start += sizes[l]
        A_prev = X0 if l == 1 else As[l - 2]
        work = sizes[l] * sizes[l - 1] * mb
        product = product_mode(work, blas_min)
        grads_product = GIVEN if first_given and l == 1 else product
        weight_grads_serial(dZs[l - 1], A_prev, l == 1, Ws[l - 1], l2, dWs[l - 1], dbs[l - 1],
                            grads_product, rows)
        if l > 1:
            keep = keeps[l - 1] if dropout else 1.0
            backprop_serial(Ws[l - 1], dZs[l - 1], dZs[l - 2], Zs[l - 2], Ds[l - 2], keep, act,
                            slope, product)
    for i in range(row_start):
        if row_ok[i] == 0.0:
            return False
    return True


@jit
def network_pass(theta, grad, X0, Y, net, ws, seed, step, dropout, launch, mode):
    """One pass on a batch held sample-major in X0 (m, n_0): mode 0 returns A_L (in the A
    buffer), mode 1 the cost, mode 2 the cost with its gradient in `grad`."""
    sizes, offsets = net[0], net[1]
    Ws, bs = param_views(theta, sizes, offsets)
    views = batch_views(ws, sizes, X0.shape[0], X0.shape[0])
    no_gram = np.bool_(False)  # not a literal, so that every caller shares one compilation
    forward_pass(Ws, bs, X0, views, net, seed, step, dropout, launch, mode == 0, no_gram)
    if mode == 0:
        return 0.0
    cost = cost_of_output(Ws, Y, views, net, ws[4], mode == 2, -1.0)
    if mode == 2:
        dWs, dbs = param_views(grad, sizes, offsets)
        backward_pass(Ws, dWs, dbs, X0, views, net, dropout, launch, ws[5], no_gram)
    return cost


@jit(inner=True)
def set_hyperparameters(hp, opt, lr, step):
    """hp = (lr, beta|beta1, 1-beta|1-beta1, beta2, 1-beta2, eps, 1-beta1^t, 1-beta2^t)."""
    code, beta, beta1, beta2, eps = opt
    b = beta1 if code == ADAM else beta
    hp[0] = lr
    hp[1] = b
    hp[2] = 1 - b
    hp[3] = beta2
    hp[4] = 1 - beta2
    hp[5] = eps
    hp[6] = 1 - beta1 ** np.float64(step)
    hp[7] = 1 - beta2 ** np.float64(step)


@jit(inner=True)
def copy_into(dst, src):
    """dst[:, :] = src for two arrays of one shape, as a loop: slice assignment from an
    array compiles Numba's message for mismatched shapes, seconds of a first fit."""
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[i, j] = src[i, j]


@jit(inner=True)
def frobenius(A, B):
    """Sum of A * B over two arrays of one shape."""
    total = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            total += A[i, j] * B[i, j]
    return total


@jit
def train_loop(theta, v, s, X, Y, perms, lrs, net, opt, batch, seed, step, ws, X0buf, Ybuf,
               grad, hp, losses, launch, static_batch, gram, have_G, have_A0):
    """Epochs of mini-batch training in place; X (m, n_0) and Y (m, n_L + 1) are
    sample-major, Y's last column holding the example weights.

    Each mini-batch is gathered into X0buf as (mb, n_0) rows and into Ybuf as
    (n_L + 1, mb).
    With static_batch the whole data set is one batch in its own order (the caller checks
    that perms is the identity): the first layer then reads X itself, and X0buf may be
    empty.

    gram = (G, WA, U, P0, UG) switches on the Gram path for full-batch gradient descent
    with more features than examples (n_0 > m), when G has shape (m, m); pass (m', m')
    arrays with m' != m to switch it off. With have_G, G already holds A0^T A0 (from an
    earlier call of the same fit); with have_A0, the targets of a static full batch are
    already gathered into Ybuf.
    With A0 = X0^T, plain gradient descent changes W_1 only by
    r W_1 - (lr / m) dZ_1 A0^T with r = 1 - lr * l2 / m, so with G = A0^T A0 the product
    WA = W_1 A0 follows WA <- r WA - (lr / m) dZ_1 G: (n_1, m) x (m, m) work per step
    instead of two (n_1, n_0) x (n_0, m) products. W_1 = c W_1(0) - U A0^T is formed once,
    after the last step, from c <- r c and U <- r U + (lr / m) dZ_1; the L2 term needs
    ||W_1||^2 = c^2 ||W_1(0)||^2 - 2 c <P0, U> + <U G, U> with P0 = W_1(0) A0.

    Training stops before the first step whose cost or gradient is not finite, leaving the
    parameters as they were; that epoch and the ones after it get a NaN loss.

    Returns the number of steps taken so far.
    """
    sizes, offsets, keeps, l2 = net[0], net[1], net[2], net[6]
    par_min = launch[0]
    m = X.shape[0]
    n0, nY = sizes[0], Y.shape[1]
    dropout = np.bool_(False)
    for l in range(sizes.size):
        dropout = dropout or keeps[l] < 1.0
    Ws, bs = param_views(theta, sizes, offsets)
    dWs, dbs = param_views(grad, sizes, offsets)
    last = m - (m - 1) // batch * batch
    full_views = batch_views(ws, sizes, batch, batch)
    last_views = batch_views(ws, sizes, batch, last)
    G, WA, U, P0, UG = gram
    use_gram = G.shape[0] == m and static_batch
    c, w0_squares = 1.0, 0.0
    if use_gram:
        X0 = X
        if not have_A0:
            gather_columns_serial(Y, perms[0], np.int64(0), Ybuf[:nY * m].reshape((nY, m)))
        if not have_G:
            gemm(X0, False, X0, True, G)
        gemm(Ws[0], False, X0, True, WA)
        copy_into(P0, WA)
        U[:, :] = 0
        w0_squares = frobenius(Ws[0], Ws[0])
    for e in range(lrs.size):
        losses[e] = 0.0
        for start in range(0, m, batch):
            mb = min(batch, m - start)
            views = full_views if mb == batch else last_views
            step += 1
            X0 = X if static_batch else X0buf[:mb * n0].reshape((mb, n0))
            Yb = Ybuf[:nY * mb].reshape((nY, mb))
            if not static_batch:
                gather_rows_serial(X, perms[e], start, X0)
            if not static_batch or (e == 0 and start == 0 and not have_A0 and not use_gram):
                gather_columns_serial(Y, perms[e], start, Yb)
            first_squares = -1.0
            if use_gram:
                copy_into(views[0][0], WA)
                if l2 != 0.0:
                    gemm(U, False, G, False, UG)
                    first_squares = (c * c * w0_squares - 2 * c * frobenius(P0, U)
                                     + frobenius(UG, U))
            forward_pass(Ws, bs, X0, views, net, seed, step, dropout, launch, np.bool_(False),
                         use_gram)
            cost = cost_of_output(Ws, Yb, views, net, ws[4], np.bool_(True), first_squares)
            finite = backward_pass(Ws, dWs, dbs, X0, views, net, dropout, launch, ws[5],
                                   use_gram)
            if not (np.isfinite(cost) and finite):
                for k in range(e, lrs.size):
                    losses[k] = np.nan
                break
            losses[e] += cost * mb / m
            if use_gram:
                lr = lrs[e]
                r = 1 - lr * l2 / m
                dZ1 = views[3][0]
                c *= r
                for i in range(U.shape[0]):
                    for j in range(m):
                        U[i, j] = r * U[i, j] + lr / m * dZ1[i, j]
                gemm(dZ1, False, G, False, UG)
                for i in range(WA.shape[0]):
                    for j in range(m):
                        WA[i, j] = r * WA[i, j] - lr / m * UG[i, j]
            set_hyperparameters(hp, opt, lrs[e], step)
            if theta.size >= par_min:
                optimizer_step_parallel(theta, grad, v, s, opt[0], hp)
            else:
                optimizer_step_serial(theta, grad, v, s, opt[0], hp)
        if not np.isfinite(losses[e]):
            break
    if use_gram:
        W1 = Ws[0]
        gemm(U, False, X, False, W1 if c == 0.0 else dWs[0])
        if c != 0.0:
            for i in range(W1.shape[0]):
                for k in range(W1.shape[1]):
                    W1[i, k] = c * W1[i, k] - dWs[0][i, k]
        else:
            for i in range(W1.shape[0]):
                for k in range(W1.shape[1]):
                    W1[i, k] = -W1[i, k]
    return step
