"""Column-blocked loop kernels of one layer: forward, weight gradients, backpropagation, and
the epilogues that the layer loop (``network.py``) runs after NumPy's products.

Each ``prange`` iteration owns a block of ``config.COLUMN_BLOCK`` examples (columns) of its
output, or one row of a weight gradient, so no two iterations write the same element.
Matrix products run as explicit loops, or through BLAS (``blas.gemm`` into a preallocated
output) by the ``product`` mode; either way one fused epilogue pass per block then adds
the bias, applies the activation and dropout, or the dropout mask and activation
derivative on the way back.
"""

import numpy as np
from numba import prange

from .. import config, hashing, scalar
from ..spec import IDENTITY, LEAKY_RELU, RELU, SIGMOID, SOFTMAX, TANH
from ._jit import jit, serial_and_parallel
from .blas import gemm
from .elementary import exp_nonpositive, log1p_unit, tanh

# Inlined by LLVM (``forceinline``) into every caller's loop, so that the loop vectorizes;
# each helper is still typed and lowered by Numba only once per signature.
_S = scalar.compiled(lambda fn: jit(fn, forceinline=True, inner=True),
                     exp_nonpositive=exp_nonpositive,
                     log1p_unit=log1p_unit, tanh=tanh)
activation_grad = _S.activation_grad
sigmoid, sigmoid_grad, tanh_grad = _S.sigmoid, _S.sigmoid_grad, _S.tanh_grad
sigmoid_of, layer_stream = _S.sigmoid_of, _S.layer_stream
softmax_column, output_column, row_moments = _S.softmax_column, _S.output_column, _S.row_moments

#: How a kernel computes its matrix product: explicit loops, or BLAS.
LOOPS, BLAS = 0, 1
BLOCK = config.COLUMN_BLOCK


@jit
def n_blocks(m):
    return (m + BLOCK - 1) // BLOCK


@jit(inner=True)
def activate_block(Z, A, code, slope, j0, j1):
    """A = g(Z) on columns j0:j1; softmax normalizes each column."""
    n = Z.shape[0]
    if code == SOFTMAX:
        for j in range(j0, j1):
            softmax_column(Z, A, j)
    else:
        for i in range(n):
            z_row, a_row = Z[i, j0:j1], A[i, j0:j1]
            if code == RELU:
                for j in range(j1 - j0):
                    a_row[j] = max(z_row[j], 0)
            elif code == LEAKY_RELU:
                for j in range(j1 - j0):
                    a_row[j] = z_row[j] if z_row[j] > 0 else z_row[j] * slope
            elif code == IDENTITY:
                for j in range(j1 - j0):
                    a_row[j] = z_row[j]
            elif code == SIGMOID:
                for j in range(j1 - j0):
                    a_row[j] = sigmoid(z_row[j])
            else:
                for j in range(j1 - j0):
                    a_row[j] = tanh(z_row[j])


@jit(inner=True)
def mask_block(key, keep, D, j0, j1):
    """D[i, j] = 1 where the hash of (stream key, unit i, example j) is below keep, else 0."""
    for i in range(D.shape[0]):
        rk = hashing.row_key(key, np.uint64(i))
        for j in range(j0, j1):
            D[i, j] = 1 if hashing.uniform(rk, np.uint64(j)) < keep else 0


@jit(inner=True)
def forward_epilogue(b, Z, A, D, code, slope, keep, key, j0, j1):
    """Z += b; A = g(Z); inverted dropout A = A * D / keep; on columns j0:j1."""
    # Row views throughout: LLVM cannot prove a 2-D index j0 + j non-negative, and the
    # wraparound select then keeps the loop from vectorizing.
    n = Z.shape[0]
    for i in range(n):
        z_row, bi = Z[i, j0:j1], b[i]
        for j in range(j1 - j0):
            z_row[j] += bi
    activate_block(Z, A, code, slope, j0, j1)
    if keep < 1.0:
        mask_block(key, keep, D, j0, j1)
        for i in range(n):
            a_row, d_row = A[i, j0:j1], D[i, j0:j1]
            for j in range(j1 - j0):
                a_row[j] = a_row[j] / keep if d_row[j] else a_row[j] * 0


@jit(inner=True)
def backward_epilogue(dZ, Z, D, keep, code, slope, j0, j1):
    """dZ = dZ * D / keep * g'(Z) on columns j0:j1 (dZ holds dA on entry).

    Each case is its own loop nest: with the branches inside one row loop, LLVM left the
    ReLU loop scalar.
    """
    n = dZ.shape[0]
    if keep < 1.0:
        for r in range(n):
            d_row, m_row = dZ[r, j0:j1], D[r, j0:j1]
            for j in range(j1 - j0):
                d_row[j] = d_row[j] * m_row[j] / keep
    if code == RELU:
        for r in range(n):
            d_row, z_row = dZ[r, j0:j1], Z[r, j0:j1]
            for j in range(j1 - j0):
                d_row[j] = d_row[j] if z_row[j] > 0 else d_row[j] * 0
    elif code == LEAKY_RELU:
        for r in range(n):
            d_row, z_row = dZ[r, j0:j1], Z[r, j0:j1]
            for j in range(j1 - j0):
                d_row[j] = d_row[j] if z_row[j] > 0 else d_row[j] * slope
    elif code == SIGMOID:
        for r in range(n):
            d_row, z_row = dZ[r, j0:j1], Z[r, j0:j1]
            for j in range(j1 - j0):
                d_row[j] = sigmoid_grad(d_row[j], z_row[j])
    elif code == TANH:
        for r in range(n):
            d_row, z_row = dZ[r, j0:j1], Z[r, j0:j1]
            for j in range(j1 - j0):
                d_row[j] = tanh_grad(d_row[j], z_row[j])


@jit(inner=True)
def _coef(M, transposed, r, c):
    return M[c, r] if transposed else M[r, c]


@jit(inner=True)
def product_block(M, transposed, B, C, j0, j1):
    """C[:, j0:j1] = op(M) B[:, j0:j1], op(M) = M or M^T, four output rows at a time.

    Each row segment of B is loaded once for four accumulator rows of C, and the inner
    loop runs over contiguous 1-D row views, so LLVM vectorizes it.
    """
    n = C.shape[0]
    k = B.shape[0]
    width = j1 - j0
    for r0 in range(0, n, 4):
        rows = min(4, n - r0)
        for r in range(r0, r0 + rows):
            c_row = C[r, j0:j1]
            for j in range(width):
                c_row[j] = 0
        if rows == 4:
            c0, c1, c2, c3 = C[r0, j0:j1], C[r0 + 1, j0:j1], C[r0 + 2, j0:j1], C[r0 + 3, j0:j1]
            for kk in range(k):
                b_row = B[kk, j0:j1]
                a0, a1 = _coef(M, transposed, r0, kk), _coef(M, transposed, r0 + 1, kk)
                a2, a3 = _coef(M, transposed, r0 + 2, kk), _coef(M, transposed, r0 + 3, kk)
                for j in range(width):
                    x = b_row[j]
                    c0[j] += a0 * x
                    c1[j] += a1 * x
                    c2[j] += a2 * x
                    c3[j] += a3 * x
        else:
            for r in range(r0, r0 + rows):
                c_row = C[r, j0:j1]
                for kk in range(k):
                    a = _coef(M, transposed, r, kk)
                    b_row = B[kk, j0:j1]
                    for j in range(width):
                        c_row[j] += a * b_row[j]


@jit(inner=True)
def block_product(M, transposed, B, C, product, blk):
    """The columns j0:j1 of block blk of C, returned after C[:, j0:j1] = op(M) B[:, j0:j1]
    when the product runs as loops (`product_block`); BLAS has computed all of C before."""
    j0 = blk * BLOCK
    j1 = min(C.shape[1], j0 + BLOCK)
    if product == LOOPS:
        product_block(M, transposed, B, C, j0, j1)
    return j0, j1


def forward(W, b, A_prev, Z, A, D, code, slope, keep, key, product):
    """Z = W A_prev + b, A = g(Z), then dropout: W (n, k), A_prev (k, m), Z, A, D (n, m).

    product is LOOPS or BLAS.
    """
    if product == BLAS:
        gemm(W, False, A_prev, False, Z)
    for blk in prange(n_blocks(A_prev.shape[1])):
        j0, j1 = block_product(W, np.bool_(False), A_prev, Z, product, blk)
        forward_epilogue(b, Z, A, D, code, slope, keep, key, j0, j1)


def weight_grads(dZ, A_prev, W, l2, dW, db, product, row_ok):
    """dW = dZ A_prev^T / m + (l2 / m) W and db = sum of dZ's rows / m; one row per iteration.

    product is LOOPS or BLAS. row_ok[i] becomes 1 when row i of dW and db[i] are finite,
    else 0: a sum of x * 0 over the row, which is NaN as soon as one x is not finite
    (fastmath keeps that, since nnan and ninf are off).
    """
    n, m = dZ.shape
    k = A_prev.shape[0]
    if product == BLAS:
        gemm(dZ, False, A_prev, True, dW)
    # in dW's dtype, so that a float32 pass stays float32, which is faster
    inv_m, decay = dW.dtype.type(1.0 / m), dW.dtype.type(l2 / m)
    for i in prange(n):
        dz_row = dZ[i]
        db[i] = row_mean(dz_row, inv_m)
        dw_row = dW[i]
        if product == LOOPS:
            for kk in range(k):
                a_row = A_prev[kk]
                acc = dz_row[0] * 0
                for j in range(m):
                    acc += dz_row[j] * a_row[j]
                dw_row[kk] = acc
        probe = finish_grad_row(dw_row, W[i], inv_m, decay, db[i] * 0)
        row_ok[i] = 1.0 if probe == 0 else 0.0


@jit(inner=True)
def row_mean(row, inv_m):
    """inv_m times the sum of a 1-D row, in the row's dtype."""
    total = row[0] * 0
    for j in range(row.size):
        total += row[j]
    return total * inv_m


@jit(inner=True)
def finish_grad_row(dw_row, w_row, inv_m, decay, probe):
    """dw_row = dw_row / m + (l2 / m) w_row in place; returns probe plus the sum of
    dw_row * 0, NaN when an element is not finite.

    Its own function, with the L2 term skipped when it is zero: inside `weight_grads`'
    branches this pass ran at half the speed.
    """
    if decay == 0:
        for kk in range(dw_row.size):
            x = dw_row[kk] * inv_m
            dw_row[kk] = x
            probe += x * 0
    else:
        for kk in range(dw_row.size):
            x = dw_row[kk] * inv_m + decay * w_row[kk]
            dw_row[kk] = x
            probe += x * 0
    return probe


@jit
def forward_epilogues(b, Z, A, D, code, slope, keep, key):
    """`forward` once Z (n, m) holds W A_prev: Z += b, A = g(Z), then dropout with the
    keep mask D, one column block at a time, serially.

    The layer loop of ``network.py`` calls it after each product, which it takes from
    NumPy's BLAS.
    """
    m = Z.shape[1]
    for j0 in range(0, m, BLOCK):
        forward_epilogue(b, Z, A, D, code, slope, keep, key, j0, min(m, j0 + BLOCK))


@jit
def gradient_epilogues(dZ, W, l2, dW, db, db_only):
    """`weight_grads` once dW (n, k) holds dZ A_prev^T: db = sum of dZ's rows / m and
    dW = dW / m + (l2 / m) W, serially; with db_only, dW = 0 instead. Returns whether every
    element of dW and db is finite (a sum of x * 0, as in `weight_grads`)."""
    n, m = dZ.shape
    inv_m, decay = dW.dtype.type(1.0 / m), dW.dtype.type(l2 / m)
    probe = db[0] * 0 if n else 0.0
    for i in range(n):
        db[i] = row_mean(dZ[i], inv_m)
        probe += db[i] * 0
        dw_row = dW[i]
        if db_only:
            for kk in range(dw_row.size):
                dw_row[kk] = 0
        else:
            probe = finish_grad_row(dw_row, W[i], inv_m, decay, probe)
    return probe == 0


@jit
def backward_epilogues(dZ, Z, D, keep, code, slope):
    """`backprop` once dZ (n, m) holds W^T dZ_next: dZ = dZ * D / keep * g'(Z), one
    column block at a time, serially."""
    m = dZ.shape[1]
    for j0 in range(0, m, BLOCK):
        backward_epilogue(dZ, Z, D, keep, code, slope, j0, min(m, j0 + BLOCK))


def backprop(W, dZ, dZ_prev, Z_prev, D_prev, keep, code, slope, product):
    """dZ_prev = (W^T dZ) * D_prev / keep * g'(Z_prev), one column block per iteration.

    With code IDENTITY and keep 1 this is plain dA_prev = W^T dZ.
    """
    if product == BLAS:
        gemm(W, True, dZ, False, dZ_prev)
    for blk in prange(n_blocks(dZ.shape[1])):
        j0, j1 = block_product(W, np.bool_(True), dZ, dZ_prev, product, blk)
        backward_epilogue(dZ_prev, Z_prev, D_prev, keep, code, slope, j0, j1)


def output_cost(ZL, AL, Y, dZ, code, partial, want_delta):
    """Output activation, cost and delta of the last layer in one pass over ZL.

    Y (n_L + 1, m) holds the targets and, in its last row, the example weights w. Fills
    AL = g(ZL) (sigmoid, softmax or identity), adds each block's weighted per-example costs
    w_j c_j into partial[block], and when want_delta sets dZ = w (AL - Y). The costs are
    binary cross-entropy max(z,0) - zy + log(1+e^-|z|), categorical cross-entropy
    logsumexp(z) - y.z, or half squared error; the caller divides by m.
    """
    n, m = ZL.shape
    for blk in prange(n_blocks(m)):
        j0 = blk * BLOCK
        j1 = min(m, j0 + BLOCK)
        total = 0.0
        for j in range(j0, j1):
            w = Y[n, j]
            total += output_column(ZL, AL, Y, j, code) * w
            if want_delta:
                for i in range(n):
                    dZ[i, j] = (AL[i, j] - Y[i, j]) * w
        partial[blk] = total


forward_serial, forward_parallel = serial_and_parallel(forward)
weight_grads_serial, weight_grads_parallel = serial_and_parallel(weight_grads)
backprop_serial, backprop_parallel = serial_and_parallel(backprop)
output_cost_serial = jit(output_cost)  # networks call it serially; no parallel copy
