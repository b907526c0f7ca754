"""Loop kernels that only the stand-alone ops call (``ops.py``): a whole array's activation
and its derivative, the dropout mask, softmax swept by rows, and the costs from the logits.

They reuse the layer kernels' column-block helpers (``layers.py``), so that a stand-alone
op computes what a layer computes, in the same order.
"""
import numpy as np
from numba import prange

from ..spec import SIGMOID, SOFTMAX
from ._jit import jit, serial_and_parallel
from .elementary import exp_nonpositive, log1p_unit
from .layers import BLOCK, activate_block, activation_grad, mask_block, n_blocks


@jit(inner=True)
def start_softmax_block(Z, top, sums, j0, j1):
    """For j in j0:j1, top[j - j0] = the largest Z[i, j] over the rows (read a row at a
    time) and sums[j - j0] = 0, where the sums of exponentials will run."""
    first = Z[0, j0:j1]
    for j in range(j1 - j0):
        top[j] = first[j]
        sums[j] = 0
    for i in range(1, Z.shape[0]):
        z_row = Z[i, j0:j1]
        for j in range(j1 - j0):
            top[j] = max(top[j], z_row[j])


def softmax_rows(Z, A, scratch):
    """A = softmax(Z) (n, m), column by column, a row of a column block at a time.

    The arithmetic of `softmax_column`, in its order, with the column maxima and sums of
    exponentials of block b in scratch[b] (2, width), so that every pass reads rows. Rows
    are read through views, as in `forward_epilogue`, so that the loops vectorize.
    """
    n, m = Z.shape
    width = scratch.shape[2]
    for blk in prange(scratch.shape[0]):
        j0 = blk * width
        j1 = min(m, j0 + width)
        top, sums = scratch[blk, 0], scratch[blk, 1]
        start_softmax_block(Z, top, sums, j0, j1)
        for i in range(n):
            z_row, a_row = Z[i, j0:j1], A[i, j0:j1]
            for j in range(j1 - j0):
                e = exp_nonpositive(z_row[j] - top[j])
                a_row[j] = e
                sums[j] += e
        for i in range(n):
            a_row = A[i, j0:j1]
            for j in range(j1 - j0):
                a_row[j] = a_row[j] / sums[j]


def cost_sums(ZL, Y, code, scratch, tops, partial):
    """Each column block's weighted sum of per-example costs into partial[block], from the
    logits alone: the stand-alone cost ops, which need no A_L and no dZ.

    The same costs as `output_cost`, computed a row of the block at a time, so that each
    pass reads long contiguous runs and vectorizes. scratch (blocks, 2, width), float64,
    sets the blocks: block b is columns b width to (b + 1) width; softmax's log-sum-exp
    keeps its running sums of exponentials there, and its column maxima in tops (blocks,
    width), of ZL's dtype, so that e**(z - max) is computed in that dtype. Y's row n_L,
    when there is one, holds the example weights.
    """
    n, m = ZL.shape
    weighted = Y.shape[0] > n
    width = scratch.shape[2]
    for blk in prange(scratch.shape[0]):
        j0 = blk * width
        j1 = min(m, j0 + width)
        per, sums = scratch[blk, 0], scratch[blk, 1]
        for j in range(j1 - j0):
            per[j] = 0.0
        if code == SOFTMAX:
            top = tops[blk]
            start_softmax_block(ZL, top, sums, j0, j1)
            for i in range(n):
                z_row, y_row = ZL[i, j0:j1], Y[i, j0:j1]
                for j in range(j1 - j0):
                    sums[j] += exp_nonpositive(z_row[j] - top[j])
                    per[j] -= y_row[j] * np.float64(z_row[j])
            for j in range(j1 - j0):
                per[j] += top[j] + np.log(sums[j])
        elif not weighted:  # no per-example costs needed: one running sum per row
            total = 0.0
            for i in range(n):
                z_row, y_row = ZL[i, j0:j1], Y[i, j0:j1]
                if code == SIGMOID:
                    acc = 0.0
                    for j in range(j1 - j0):
                        z = np.float64(z_row[j])
                        acc += (max(z, 0.0) - z * y_row[j]
                                + log1p_unit(exp_nonpositive(-abs(z))))
                    total += acc
                else:  # a row's squares in the data's dtype, the rows' sums in float64
                    row = ZL[0, 0] * 0
                    for j in range(j1 - j0):
                        d = z_row[j] - y_row[j]
                        row += d * d
                    total += np.float64(row) / 2
            partial[blk] = total
            continue
        elif code == SIGMOID:
            for i in range(n):
                z_row, y_row = ZL[i, j0:j1], Y[i, j0:j1]
                for j in range(j1 - j0):
                    z = np.float64(z_row[j])
                    per[j] += (max(z, 0.0) - z * y_row[j]
                               + log1p_unit(exp_nonpositive(-abs(z))))
        else:
            for i in range(n):
                z_row, y_row = ZL[i, j0:j1], Y[i, j0:j1]
                for j in range(j1 - j0):
                    d = np.float64(z_row[j]) - y_row[j]
                    per[j] += d * d / 2
        total = 0.0
        if weighted:
            w_row = Y[n, j0:j1]
            for j in range(j1 - j0):
                total += per[j] * w_row[j]
        else:
            for j in range(j1 - j0):
                total += per[j]
        partial[blk] = total


def activate(Z, A, code, slope):
    """A = g(Z) over (n, m): softmax one column block per iteration, the element-wise
    activations a block of whole rows per iteration, so that each streams contiguous rows
    (and a call per row would cost more than a short row's arithmetic)."""
    n, m = Z.shape
    if code == SOFTMAX:
        for blk in prange(n_blocks(m)):
            activate_block(Z, A, code, slope, blk * BLOCK, min(m, blk * BLOCK + BLOCK))
    else:
        for blk in prange(n_blocks(n)):
            r0, r1 = blk * BLOCK, min(n, blk * BLOCK + BLOCK)
            activate_block(Z[r0:r1], A[r0:r1], code, slope, 0, m)


def derivative(dA, Z, dZ, code, slope):
    """dZ = dA * g'(Z) over (n, m)."""
    n, m = Z.shape
    for i in prange(n):
        for j in range(m):
            dZ[i, j] = activation_grad(dA[i, j], Z[i, j], code, slope)


def mask(key, keep, D):
    """Dropout keep mask (n, m) of the stream `key`, one column block per iteration."""
    m = D.shape[1]
    for blk in prange(n_blocks(m)):
        mask_block(key, keep, D, blk * BLOCK, min(m, blk * BLOCK + BLOCK))


activate_serial, activate_parallel = serial_and_parallel(activate)
derivative_serial, derivative_parallel = serial_and_parallel(derivative)
mask_serial, mask_parallel = serial_and_parallel(mask)
cost_sums_serial, cost_sums_parallel = serial_and_parallel(cost_sums)
softmax_rows_serial, softmax_rows_parallel = serial_and_parallel(softmax_rows)
