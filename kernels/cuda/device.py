"""CUDA kernels of every op, built per (dtype, tile, threads per block, register tile) by
`build`.

Shared-memory tiles need their shape and dtype at compile time, so each configuration
gets its own kernels; tests build them with tiny tiles so multi-block paths run under the
simulator. Every kernel loops over its output with a grid stride, so any grid covers any
shape. Matrix products step through their inner dimension TILE at a time, with both
operands' slices in shared memory; each thread accumulates reg x reg output elements in
registers, and a fused epilogue finishes each element where it was computed.

Importing this module imports numba.cuda; `kernels.cuda` does so only when asked.
"""
import math
from types import SimpleNamespace

import numpy as np
from numba import cuda, float32, float64

from .. import hashing
from ..spec import GD, MOMENTUM, NESTEROV, RMSPROP
from . import elementwise
from .device_functions import (activation_grad, activation_value, keep_bit, layer_stream,
                               output_column)

#: Slots of the step-control array ``ctl`` (int64, on the device): the optimizer step t
#: (which also keys the dropout streams), the current mini-batch's first position in its
#: epoch's permutation, and that epoch's index into the call's perms, lrs and losses.
STEP, START, EPOCH = 0, 1, 2


def build(dtype, tile, tpb, reg=1):
    """Kernels for arrays of `dtype`, TILE x TILE blocks of the matrix products, each thread
    of which computes reg x reg elements of a (TILE reg) x (TILE reg) output tile, and `tpb`
    threads per 1-D block.

    Returns a namespace of cuda.jit kernels plus ``sources``, the Python functions by name
    (for compiling to PTX without a GPU).
    """
    T, R = tile, reg
    BM = T * R
    BMP = BM + 1  # a padded row, so that storing a tile transposed has no bank conflicts
    nb_dtype = {np.dtype(np.float32): float32, np.dtype(np.float64): float64}[np.dtype(dtype)]

    def _block_sum(shared, value, partial):
        """partial[block] = sum of `value` over the block's threads (tree reduction)."""
        t = cuda.threadIdx.x
        shared[t] = value
        cuda.syncthreads()
        half = tpb // 2
        while half > 0:
            if t < half:
                shared[t] += shared[t + half]
            cuda.syncthreads()
            half //= 2
        if t == 0:
            partial[cuda.blockIdx.x] = shared[0]

    block_sum = cuda.jit(device=True)(_block_sum)

    def _product(a_outer_contiguous, b_outer_contiguous):
        """A device function of the block's R x R per-thread share of one BM x BM tile of
        a matrix product, specialised to how each operand lies in memory."""

        def product(Ma, Mb, na, nb, K, oa, ob, ones_row, sa, sb, acc):
            """acc[q, p] = sum over kk < K of Pa(oa + ty + qT, kk) Pb(ob + tx + pT, kk).

            The panels Pa (na x K) and Pb (nb x K) read Ma and Mb as M[o, kk], or as
            M[kk, o] where that side's flag says the outer index o is the contiguous one;
            Pb(ones_row, kk) is 1 (the row of ones whose product is a bias gradient).
            Each operand's T x BM slice goes through shared memory per step of T along kk,
            loaded so that consecutive threads read consecutive addresses."""
            ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
            tid = ty * T + tx
            fa = cuda.local.array(R, nb_dtype)
            fb = cuda.local.array(R, nb_dtype)
            for q in range(R):
                for p in range(R):
                    acc[q, p] = 0
            for k0 in range(0, K, T):
                for q in range(R):
                    e = q * T * T + tid
                    if a_outer_contiguous:
                        kk, o = e // BM, e % BM
                        ok = oa + o < na and k0 + kk < K
                        sa[kk, o] = Ma[k0 + kk, oa + o] if ok else 0
                    else:
                        o, kk = e // T, e % T
                        ok = oa + o < na and k0 + kk < K
                        sa[kk, o] = Ma[oa + o, k0 + kk] if ok else 0
                    if b_outer_contiguous:
                        kk, o = e // BM, e % BM
                        ok = ob + o < nb and k0 + kk < K
                        sb[kk, o] = Mb[k0 + kk, ob + o] if ok else 0
                    else:
                        o, kk = e // T, e % T
                        ok = ob + o < nb and k0 + kk < K
                        if ok:
                            sb[kk, o] = Mb[ob + o, k0 + kk]
                        else:
                            sb[kk, o] = 1 if ob + o == ones_row and k0 + kk < K else 0
                cuda.syncthreads()
                for kk in range(T):
                    for q in range(R):
                        fa[q] = sa[kk, ty + q * T]
                    for p in range(R):
                        fb[p] = sb[kk, tx + p * T]
                    for q in range(R):
                        for p in range(R):
                            acc[q, p] += fa[q] * fb[p]
                cuda.syncthreads()

        return cuda.jit(device=True, inline="always")(product)

    product_forward = _product(False, True)   # W (n, k) times A_prev (k, m)
    product_weights = _product(False, False)  # dZ (n, m) times [A_prev; 1]^T (m, k + 1)
    product_backprop = _product(True, True)   # W^T (k, n) times dZ (n, m)

    def forward(W, b, A_prev, Z, A, D, code, slope, keep, seed, layer, ctl):
        """Z = W A_prev + b, A = g(Z), inverted dropout with the hash of (key, i, j), where
        key is the stream of (seed, step ctl[STEP], layer)."""
        n, k = W.shape
        m = A_prev.shape[1]
        key = hashing.stream_key(seed, np.uint64(ctl[STEP]), layer)
        sa = cuda.shared.array((T, BMP), nb_dtype)
        sb = cuda.shared.array((T, BMP), nb_dtype)
        acc = cuda.local.array((R, R), nb_dtype)
        ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
        for ti in range(cuda.blockIdx.y, (n + BM - 1) // BM, cuda.gridDim.y):
            for tj in range(cuda.blockIdx.x, (m + BM - 1) // BM, cuda.gridDim.x):
                product_forward(W, A_prev, n, m, k, ti * BM, tj * BM, -1, sa, sb, acc)
                # Two passes: acc stays in registers only while every index into it is a
                # constant, in loops small enough to be unrolled.
                for q in range(R):
                    i = ti * BM + ty + q * T
                    for p in range(R):
                        j = tj * BM + tx + p * T
                        if i < n and j < m:
                            Z[i, j] = acc[q, p] + b[i]
                for q in range(R):
                    i = ti * BM + ty + q * T
                    for p in range(R):
                        j = tj * BM + tx + p * T
                        if i < n and j < m:
                            z = Z[i, j]
                            a = activation_value(z, code, slope)
                            if keep < 1.0:
                                d = keep_bit(key, i, j, keep)
                                D[i, j] = d
                                a = a / keep if d else a * 0
                            A[i, j] = a

    def weight_grads(dZ, A_prev, W, l2, dW, db):
        """dW = dZ A_prev^T / m + (l2 / m) W and db = dZ 1 / m: the product with A_prev
        augmented by a row of ones, whose column k is db."""
        n, m = dZ.shape
        k = A_prev.shape[0]
        sa = cuda.shared.array((T, BMP), nb_dtype)
        sb = cuda.shared.array((T, BMP), nb_dtype)
        acc = cuda.local.array((R, R), nb_dtype)
        ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
        for ti in range(cuda.blockIdx.y, (n + BM - 1) // BM, cuda.gridDim.y):
            for tc in range(cuda.blockIdx.x, (k + BM) // BM, cuda.gridDim.x):
                product_weights(dZ, A_prev, n, k, m, ti * BM, tc * BM, k, sa, sb, acc)
                for q in range(R):
                    i = ti * BM + ty + q * T
                    for p in range(R):
                        col = tc * BM + tx + p * T
                        if i < n and col < k:
                            dW[i, col] = acc[q, p] / m + (l2 / m) * W[i, col]
                        elif i < n and col == k:
                            db[i] = acc[q, p] / m

    def backprop(W, dZ, dZ_prev, Z_prev, D_prev, keep, code, slope):
        """dZ_prev = (W^T dZ) * D_prev / keep * g'(Z_prev)."""
        n, k = W.shape
        m = dZ.shape[1]
        sa = cuda.shared.array((T, BMP), nb_dtype)
        sb = cuda.shared.array((T, BMP), nb_dtype)
        acc = cuda.local.array((R, R), nb_dtype)
        ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
        for tr in range(cuda.blockIdx.y, (k + BM - 1) // BM, cuda.gridDim.y):
            for tj in range(cuda.blockIdx.x, (m + BM - 1) // BM, cuda.gridDim.x):
                product_backprop(W, dZ, k, m, n, tr * BM, tj * BM, -1, sa, sb, acc)
                for q in range(R):
                    r = tr * BM + ty + q * T
                    for p in range(R):
                        j = tj * BM + tx + p * T
                        if r < k and j < m:
                            v = acc[q, p]
                            if keep < 1.0:
                                v = v * D_prev[r, j] / keep
                            dZ_prev[r, j] = activation_grad(v, Z_prev[r, j], code, slope)

    def output_cost(ZL, AL, Y, dZ, code, partial, want_delta):
        """A_L = g(Z_L), dZ = w (A_L - Y), and each block's summed weighted per-example cost
        in partial; Y (n_L + 1, m) holds the targets, then the example weights w."""
        n, m = ZL.shape
        shared = cuda.shared.array(tpb, float64)
        total = 0.0
        for j in range(cuda.grid(1), m, cuda.gridsize(1)):
            w = Y[n, j]
            total += output_column(ZL, AL, Y, j, code) * w
            if want_delta:
                for i in range(n):
                    dZ[i, j] = (AL[i, j] - Y[i, j]) * w
        block_sum(shared, total, partial)

    def sum_squares(theta, sizes, offsets, partial):
        """Each block's sum of squared weights (biases excluded) into partial[block]."""
        shared = cuda.shared.array(tpb, float64)
        total = 0.0
        for l in range(1, sizes.size):
            start = offsets[l - 1]
            count = sizes[l] * sizes[l - 1]
            for i in range(cuda.grid(1), count, cuda.gridsize(1)):
                w = theta[start + i]
                total += w * w
        block_sum(shared, total, partial)

    def add_loss(partial, n_partial, squares, n_squares, mb, l2, weight, losses, ctl, flag):
        """losses[e] += weight * J of the batch, e = ctl[EPOCH]: data partials / mb +
        l2 / (2 mb) * squares. One thread, so the sum runs in a fixed order. A cost that is
        not finite, or a raised flag, sets the flag and makes losses[e] NaN: training has
        stopped."""
        if cuda.grid(1) == 0:
            e = ctl[EPOCH]
            total = 0.0
            for c in range(n_partial):
                total += partial[c]
            cost = total / mb
            if l2 != 0.0:
                sq = 0.0
                for c in range(n_squares):
                    sq += squares[c]
                cost += l2 / (2 * mb) * sq
            if flag[0] != 0 or not math.isfinite(cost):
                flag[0] = 1
                losses[e] = math.nan
            else:
                losses[e] += cost * weight

    def check_finite(x, flag):
        """Raise flag[0] when any element of x is not finite."""
        for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
            if not math.isfinite(x[i]):
                cuda.atomic.max(flag, 0, 1)

    def _update_one(theta, grad, v, s, i, code, lr, b1, c1, b2, c2, eps, bc1, bc2):
        """Parameter i's step of the optimizer `code`, by ``kernels.reference``'s formulas."""
        g = grad[i]
        if code == GD:
            theta[i] -= lr * g
        elif code == MOMENTUM:
            v[i] = b1 * v[i] + c1 * g
            theta[i] -= lr * v[i]
        elif code == NESTEROV:
            v[i] = b1 * v[i] + c1 * g
            theta[i] -= lr * (b1 * v[i] + c1 * g)
        elif code == RMSPROP:
            s[i] = b2 * s[i] + c2 * g * g
            theta[i] -= lr * g / (math.sqrt(s[i]) + eps)
        else:
            v[i] = b1 * v[i] + c1 * g
            s[i] = b2 * s[i] + c2 * g * g
            theta[i] -= lr * (v[i] / bc1) / (math.sqrt(s[i] / bc2) + eps)

    update_one = cuda.jit(device=True)(_update_one)

    def optimizer_step(theta, grad, v, s, flag, code, lrs, ctl, beta, beta2, eps):
        """Step t = ctl[STEP] of the optimizer `code` over the flat parameters, in
        place, with learning rate lrs[ctl[EPOCH]]; nothing when flag[0] is raised (a cost
        or gradient was not finite). beta is beta1 for adam."""
        if flag[0] != 0:
            return
        t = float64(ctl[STEP])
        lr, b1, c1 = nb_dtype(lrs[ctl[EPOCH]]), nb_dtype(beta), nb_dtype(1.0 - beta)
        b2, c2, e = nb_dtype(beta2), nb_dtype(1.0 - beta2), nb_dtype(eps)
        bc1, bc2 = nb_dtype(1.0 - beta ** t), nb_dtype(1.0 - beta2 ** t)
        for i in range(cuda.grid(1), theta.size, cuda.gridsize(1)):
            update_one(theta, grad, v, s, i, code, lr, b1, c1, b2, c2, e, bc1, bc2)

    def advance(ctl, batch, m):
        """Move ctl on to the next step: t + 1, and the next mini-batch of `batch` out of m
        examples, which starts the next epoch after the last one."""
        if cuda.grid(1) == 0:
            ctl[STEP] += 1
            ctl[START] += batch
            if ctl[START] >= m:
                ctl[START] = 0
                ctl[EPOCH] += 1

    def _example_pass(theta, X0, Yb, Z, A, D, dZ, sizes, offsets, keeps, act, out, slope,
                      seed, step, dropout, j, costs):
        """Forward pass, cost and backward pass of example j of a mini-batch (n_0, mb) in X0:
        its columns of the stacked Z, A, D, dZ (layer l in the rows from n_1 + ... +
        n_{l-1}), and its weighted cost in costs[j] (Yb's row n_L holds the example
        weights). dZ of layer 1 is the last one filled."""
        L = sizes.size - 1
        row = 0
        for l in range(1, L + 1):
            n, k, w0, keep, key = layer_stream(sizes, offsets, keeps, dropout, seed, step, l)
            for i in range(n):
                z = theta[w0] * 0
                for c in range(k):
                    z += theta[w0 + i * k + c] * (X0[c, j] if l == 1 else A[row - k + c, j])
                z += theta[w0 + n * k + i]
                Z[row + i, j] = z
                if l < L:
                    a = activation_value(z, act, slope)
                    if keep < 1.0:
                        d = keep_bit(key, i, j, keep)
                        D[row + i, j] = d
                        a = a / keep if d else a * 0
                    A[row + i, j] = a
            row += n
        row -= sizes[L]
        w = Yb[sizes[L], j]
        costs[j] = output_column(Z[row:], A[row:], Yb, j, out) * w
        for i in range(sizes[L]):
            dZ[row + i, j] = (A[row + i, j] - Yb[i, j]) * w
        for l in range(L, 1, -1):
            n, k, w0 = sizes[l], sizes[l - 1], offsets[l - 1]
            keep = keeps[l - 1] if dropout else 1.0
            for c in range(k):
                acc = theta[w0] * 0
                for i in range(n):
                    acc += theta[w0 + i * k + c] * dZ[row + i, j]
                if keep < 1.0:
                    acc = acc * D[row - k + c, j] / keep
                dZ[row - k + c, j] = activation_grad(acc, Z[row - k + c, j], act, slope)
            row -= k

    example_pass = cuda.jit(device=True)(_example_pass)

    def _parameter_gradient(theta, X0, A, dZ, sizes, offsets, l2, mb, p):
        """dJ/dtheta[p] over the mb examples: dZ A_prev^T / m + (l2 / m) W for a weight,
        the sum of dZ / m for a bias."""
        l, row = 1, 0
        while p >= offsets[l]:
            row += sizes[l]
            l += 1
        n, k = sizes[l], sizes[l - 1]
        q = p - offsets[l - 1]
        total = theta[p] * 0
        if q < n * k:
            i, c = q // k, q % k
            for j in range(mb):
                total += dZ[row + i, j] * (X0[c, j] if l == 1 else A[row - k + c, j])
            return total / mb + (l2 / mb) * theta[p]
        for j in range(mb):
            total += dZ[row + q - n * k, j]
        return total / mb

    parameter_gradient = cuda.jit(device=True)(_parameter_gradient)

    def train_small(theta, v, s, X, Y, perms, lrs, sizes, offsets, keeps, act, out, slope, l2,
                    code, beta, beta2, eps, batch, seed, step, X0, Yb, Z, A, D, dZ, costs, grad,
                    losses, flag):
        """Epochs of mini-batch training of a small network in one block: one launch a call.

        Thread t gathers and runs examples t, t + blockDim, ... of each mini-batch through
        the forward and backward passes (`example_pass`), then computes the gradient of
        parameters t, t + blockDim, ... and steps them; three barriers a step, and thread 0
        sums the cost in a fixed order. Training stops before the first step whose cost or
        gradient is not finite: flag[0] = 1 and that epoch's and later losses are NaN.
        beta is beta1 for adam.
        """
        t, nt = cuda.threadIdx.x, cuda.blockDim.x
        m, L = X.shape[0], sizes.size - 1
        dropout = False
        for l in range(L + 1):
            dropout = dropout or keeps[l] < 1.0
        for e in range(lrs.size):
            for start in range(0, m, batch):
                mb = min(batch, m - start)
                step += 1
                for j in range(t, mb, nt):
                    r = perms[e, start + j]
                    for c in range(sizes[0]):
                        X0[c, j] = X[r, c]
                    for c in range(sizes[L] + 1):  # targets and weight
                        Yb[c, j] = Y[r, c]
                    example_pass(theta, X0, Yb, Z, A, D, dZ, sizes, offsets, keeps, act, out,
                                 slope, seed, step, dropout, j, costs)
                cuda.syncthreads()
                bad = 0
                for p in range(t, theta.size, nt):
                    grad[p] = parameter_gradient(theta, X0, A, dZ, sizes, offsets, l2, mb, p)
                    if not math.isfinite(grad[p]):
                        bad = 1
                cost = 0.0
                if t == 0:
                    for j in range(mb):
                        cost += costs[j]
                    cost /= mb
                    if l2 != 0.0:
                        squares = 0.0
                        for l in range(1, L + 1):
                            for q in range(sizes[l] * sizes[l - 1]):
                                w = theta[offsets[l - 1] + q]
                                squares += w * w
                        cost += l2 / (2 * mb) * squares
                    if not math.isfinite(cost):
                        bad = 1
                if cuda.syncthreads_or(bad):
                    if t == 0:
                        flag[0] = 1
                        for q in range(e, lrs.size):
                            losses[q] = math.nan
                    return
                if t == 0:
                    losses[e] += cost * mb / m
                b = nb_dtype(beta)
                for p in range(t, theta.size, nt):
                    update_one(theta, grad, v, s, p, code, nb_dtype(lrs[e]), b, nb_dtype(1 - beta),
                               nb_dtype(beta2), nb_dtype(1 - beta2), nb_dtype(eps),
                               nb_dtype(1 - beta ** step), nb_dtype(1 - beta2 ** step))
                cuda.syncthreads()

    def gather(X, perms, ctl, out):
        """out[r, j] = X[perms[e, start + j], r], with e = ctl[EPOCH] and start = ctl[START]:
        the current mini-batch in course layout."""
        n, count = out.shape
        r0, j0 = cuda.grid(2)
        sr, sj = cuda.gridsize(2)
        e, start = ctl[EPOCH], ctl[START]
        for j in range(j0, count, sj):
            row = perms[e, start + j]
            for r in range(r0, n, sr):
                out[r, j] = X[row, r]

    sources = dict(forward=forward, weight_grads=weight_grads, backprop=backprop,
                   output_cost=output_cost, sum_squares=sum_squares, add_loss=add_loss,
                   check_finite=check_finite, optimizer_step=optimizer_step, advance=advance,
                   train_small=train_small, gather=gather, **elementwise.SOURCES)
    namespace = SimpleNamespace(tile=T, reg=R, tpb=tpb, sources=sources)
    for name, fn in sources.items():
        setattr(namespace, name, cuda.jit(fn))
    return namespace


def signatures(dtype):
    """The argument types each kernel is launched with, for arrays of `dtype`."""
    from numba import boolean, int32, int64, uint8, uint64
    f = {np.dtype(np.float32): float32, np.dtype(np.float64): float64}[np.dtype(dtype)]
    M, V, U8 = f[:, ::1], f[::1], uint8[:, ::1]
    F64, I64 = float64[::1], int64[::1]
    return {
        "forward": (M, V, M, M, M, U8, int64, float64, float64, uint64, uint64, I64),
        "weight_grads": (M, M, M, float64, M, V),
        "backprop": (M, M, M, M, U8, float64, int64, float64),
        "output_cost": (M, M, M, M, int64, F64, boolean),
        "sum_squares": (V, I64, I64, F64),
        "add_loss": (F64, int64, F64, int64, int64, float64, float64, F64, I64, int32[::1]),
        "check_finite": (V, int32[::1]),
        "optimizer_step": (V, V, V, V, int32[::1], int64, F64, I64, float64, float64, float64),
        "advance": (I64, int64, int64),
        "train_small": (V, V, V, M, M, int64[:, ::1], F64, I64, I64, F64, int64, int64, float64,
                        float64, int64, float64, float64, float64, int64, uint64, int64, M, M, M,
                        M, U8, M, F64, V, F64, int32[::1]),
        "gather": (M, int64[:, ::1], I64, M),
        "activate": (M, M, int64, float64),
        "derivative": (M, M, M, int64, float64),
        "mask": (uint64, float64, U8),
        "scale_mask": (M, M, f, M),
        "subtract": (M, M, M),
        "moments": (float64[:, ::1], F64, F64),
        "standardize": (float64[:, ::1], F64, F64, float64[:, ::1]),
    }
