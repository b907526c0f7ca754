"""The stand-alone ops of the Numba CPU backend (`kernels.contract.OPS`, up to the whole
network).

Each validates nothing the reference does not, allocates its outputs, and calls a compiled
kernel: the serial or the parallel compilation of the same loop body by
``config.PARALLEL_MIN_WORK``, and explicit loops or BLAS for matrix products by
``config.BLAS_MIN_WORK``. `kernels.reference` states each op's shapes and formula.
"""
import numba
import numpy as np

from .. import config
from ..spec import (ACTIVATION_CODES, ADAM, GD, IDENTITY, MOMENTUM, RMSPROP, SIGMOID, SOFTMAX,
                    check_name, with_weight_row)
from . import layers as K
from . import standalone as S
from . import updates as U
from .network import hyperparameters
from .threads import serialized

_NO_MASK = np.ones((1, 1), np.uint8)
#: The optimizer state that gd, momentum or rmsprop does not keep, per dtype.
_NONE = {np.dtype(t): np.empty(0, t) for t in (np.float64, np.float32)}
#: (module, kernel name) -> its (serial, parallel) compilations, filled by `_pick`.
_PAIRS = {}
#: Elements from which a stand-alone softmax sweeps rows (`softmax_rows`), whose exponentials
#: vectorize; below it, setting up the row blocks costs more than walking the columns.
_ROWS_PAY = 1 << 8


def _par(work):
    return work >= config.PARALLEL_MIN_WORK


def _pick(module, name, work):
    """The parallel compilation of kernel `name` for enough work, else the serial one.

    The parallel one runs holding the threads' lock (`threads.serialized`), which guards
    Numba's thread pool against two Python threads at once; the serial one, which never
    enters the pool, runs without it, so that a call on a small array costs no lock.
    """
    pair = _PAIRS.get((module, name))
    if pair is None:
        pair = _PAIRS[module, name] = (getattr(module, name + "_serial"),
                                       serialized(getattr(module, name + "_parallel")))
    return pair[work >= config.PARALLEL_MIN_WORK]


def _product(work):
    return K.BLAS if work >= config.BLAS_MIN_WORK else K.LOOPS


def _code(activation, valid=ACTIVATION_CODES):
    if isinstance(activation, str) and activation in valid:
        return ACTIVATION_CODES[activation]
    return ACTIVATION_CODES[check_name(activation, valid, "activation")]


def _key(seed, step, layer):
    from .. import hashing
    with np.errstate(over="ignore"):
        return hashing.stream_key(np.uint64(seed), np.uint64(step), np.uint64(layer))


# ---------------------------------------------------------------------- ops
def _row_blocks(name, work, m, rows, dtype):
    """Kernel `name` (serial or parallel by `work`) and its (blocks, rows, width) scratch:
    one block of columns per thread when parallel, so that each pass streams long rows,
    else the whole width."""
    kernel = _pick(S, name, work)
    threads = numba.get_num_threads() if _par(work) else 1
    width = max(K.BLOCK, -(-m // threads))
    return kernel, np.empty((-(-m // width), rows, width), dtype)


def activation_forward(Z, activation, slope=0.01):
    A = np.empty_like(Z)
    code = _code(activation)
    if code == SOFTMAX and Z.size >= _ROWS_PAY:
        Z = np.ascontiguousarray(Z)
        softmax, scratch = _row_blocks("softmax_rows", Z.size, Z.shape[1], 2, Z.dtype)
        softmax(Z, A, scratch)
        return A
    _pick(S, "activate", Z.size)(Z, A, code, float(slope))
    return A


def activation_backward(dA, Z, activation, slope=0.01):
    code = _code(activation, ("sigmoid", "tanh", "relu", "leaky_relu", "identity"))
    dZ = np.empty_like(dA)
    _pick(S, "derivative", Z.size)(dA, Z, dZ, code, float(slope))
    return dZ


@serialized
def linear_forward(W, b, A_prev, activation, slope=0.01):
    n, k = W.shape
    m = A_prev.shape[1]
    Z = np.empty((n, m), W.dtype)
    A = np.empty((n, m), W.dtype)
    work = n * k * m
    run = _pick(K, "forward", work)
    run(W, b, np.ascontiguousarray(A_prev), Z, A, _NO_MASK, _code(activation),
        float(slope), 1.0, np.uint64(0), _product(work))
    return Z, A


@serialized
def linear_backward(dZ, A_prev, W, l2=0.0, need_dA_prev=True):
    n, k = W.shape
    m = dZ.shape[1]
    dW, db, row_ok = np.empty_like(W), np.empty(n, W.dtype), np.empty(n)
    work = n * k * m
    blas = _product(work)
    dZ, A_prev = np.ascontiguousarray(dZ), np.ascontiguousarray(A_prev)
    _pick(K, "weight_grads", work)(
        dZ, A_prev, W, float(l2), dW, db, blas, row_ok)
    dA_prev = None
    if need_dA_prev:
        dA_prev = np.empty((k, m), W.dtype)
        _pick(K, "backprop", work)(
            W, dZ, dA_prev, dA_prev, _NO_MASK, 1.0, IDENTITY, 0.0, blas)
    return dW, db, dA_prev


def output_delta(AL, Y, sample_weight=None):
    out = np.empty_like(AL)
    _pick(U, "subtract", AL.size)(AL, Y, out)
    return out if sample_weight is None else out * sample_weight


def l2_penalty(weights, l2, m):
    if l2 == 0.0:
        return 0.0
    partial = np.zeros(64)
    total = sum(_pick(U, "sum_of_squares", W.size)(np.ascontiguousarray(W).ravel(), partial)
                for W in weights)
    return float(l2 / (2 * m) * total)


def _cost(ZL, Y, code, weights, l2, sample_weight):
    m = ZL.shape[1]
    cost_sums, scratch = _row_blocks("cost_sums", ZL.size, m, 2, np.float64)
    partial = np.zeros(scratch.shape[0])
    ZL = np.ascontiguousarray(ZL)
    Yw = np.ascontiguousarray(Y) if sample_weight is None else with_weight_row(Y, sample_weight)
    tops = np.empty((scratch.shape[0], scratch.shape[2]), ZL.dtype)
    cost_sums(ZL, Yw, code, scratch, tops, partial)
    return sum(partial.tolist()) / m + (l2_penalty(weights, l2, m) if l2 else 0.0)


def binary_cross_entropy(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, SIGMOID, weights, l2, sample_weight)


def categorical_cross_entropy(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, SOFTMAX, weights, l2, sample_weight)


def mean_squared_error(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, IDENTITY, weights, l2, sample_weight)


def dropout_mask(seed, step, layer, shape, keep_prob, dtype=np.float64):
    D = np.empty(shape, np.uint8)
    _pick(S, "mask", D.size)(_key(seed, step, layer), float(keep_prob), D)
    return D.astype(dtype)


def dropout_forward(A, D, keep_prob):
    out = np.empty_like(A)
    _pick(U, "scale_mask", A.size)(A, D, A.dtype.type(keep_prob), out)
    return out


def dropout_backward(dA, D, keep_prob):
    return dropout_forward(dA, D, keep_prob)


def _step(theta, grad, v, s, code, lr, beta=0.0, beta2=0.0, epsilon=0.0, step=1):
    """One step of optimizer `code` through `updates.optimizer_step`; gd passes its learning
    rate alone, the others the hp of `network.hyperparameters`."""
    if code == GD:
        hp = np.empty(1, theta.dtype)
        hp[0] = lr
    else:
        hp = np.array(hyperparameters.py_func((code, beta, beta2, epsilon), lr, step),
                      theta.dtype)
    _pick(U, "optimizer_step", theta.size)(theta, grad, v, s, code, hp)


def optimizer_update(theta, grad, states, lr, step, opt):
    code, beta, beta2, epsilon = opt.compiled()
    v, s = opt.state_vectors(states, _no_state(theta))
    _step(theta, grad, v, s, code, lr, beta, beta2, epsilon, step)


def _no_state(theta):
    none = _NONE.get(theta.dtype)
    return theta[:0] if none is None else none


def gd_update(theta, grad, lr):
    none = _no_state(theta)
    _step(theta, grad, none, none, GD, lr)


def momentum_update(theta, grad, v, lr, beta):
    _step(theta, grad, v, _no_state(theta), MOMENTUM, lr, beta)


def rmsprop_update(theta, grad, s, lr, beta2, epsilon):
    _step(theta, grad, _no_state(theta), s, RMSPROP, lr, 0.0, beta2, epsilon)


def adam_update(theta, grad, v, s, lr, step, beta1, beta2, epsilon):
    _step(theta, grad, v, s, ADAM, lr, beta1, beta2, epsilon, step)


def standardize_fit(X):
    mean, std = np.empty(X.shape[0]), np.empty(X.shape[0])
    _pick(U, "standardize_fit", X.size)(np.ascontiguousarray(X), mean, std)
    return mean, std


def standardize(X, mean, std):
    out = np.empty(X.shape, np.result_type(X.dtype, mean.dtype))
    _pick(U, "standardize", X.size)(np.ascontiguousarray(X), mean, std, out)
    return out
