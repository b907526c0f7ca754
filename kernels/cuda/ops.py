"""The stand-alone ops of the CUDA backend (`kernels.contract.OPS`, up to the whole
network): each copies its inputs to the device, launches kernels of ``device.py``, and
copies its outputs back. `kernels.reference` states each op's shapes and formula."""
import numpy as np

from ..spec import ACTIVATION_CODES, IDENTITY, SOFTMAX, OptSpec, check_name, with_weight_row
from . import runtime as rt


def activation_forward(Z, activation, slope=0.01):
    K = rt.kernels(Z.dtype)
    code = ACTIVATION_CODES[check_name(activation, ACTIVATION_CODES, "activation")]
    A = rt.empty(Z.shape, Z.dtype)
    with rt.quiet():
        K.activate[rt.grid1(Z.shape[1])](rt.dev(Z), A, code, float(slope))
    return A.copy_to_host()


def activation_backward(dA, Z, activation, slope=0.01):
    K = rt.kernels(Z.dtype)
    code = ACTIVATION_CODES[check_name(activation, ("sigmoid", "tanh", "relu", "leaky_relu",
                                                    "identity"), "activation")]
    dZ = rt.empty(Z.shape, Z.dtype)
    with rt.quiet():
        K.derivative[rt.grid1(Z.size)](rt.dev(dA), rt.dev(Z), dZ, code, float(slope))
    return dZ.copy_to_host()


def forward_layer(W, b, A_prev, Z, A, D, code, slope, keep, seed, layer, ctl, stream=0):
    """Launch the fused linear forward; softmax runs as a second, column-wise kernel."""
    fused = IDENTITY if code == SOFTMAX else code
    n, m = W.shape[0], A_prev.shape[1]
    K = rt.product_kernels(W.dtype, n, m)
    K.forward[rt.grid2(n, m, K.reg) + (stream,)](
        W, b, A_prev, Z, A, D, fused, slope, keep, np.uint64(seed), np.uint64(layer), ctl)
    if code == SOFTMAX:
        K.activate[rt.grid1(Z.shape[1]) + (stream,)](Z, A, SOFTMAX, slope)


def linear_forward(W, b, A_prev, activation, slope=0.01):
    code = ACTIVATION_CODES[check_name(activation, ACTIVATION_CODES, "activation")]
    n, m = W.shape[0], A_prev.shape[1]
    Z, A = rt.empty((n, m), W.dtype), rt.empty((n, m), W.dtype)
    with rt.quiet():
        forward_layer(rt.dev(W), rt.dev(b), rt.dev(A_prev), Z, A,
                      rt.dev(np.ones((1, 1), np.uint8)), code, float(slope), 1.0, 0, 0, rt.ctl())
    return Z.copy_to_host(), A.copy_to_host()


@rt.quiet()
def linear_backward(dZ, A_prev, W, l2=0.0, need_dA_prev=True):
    n, k = W.shape
    m = dZ.shape[1]
    d_dZ, d_W = rt.dev(dZ), rt.dev(W)
    dW, db = rt.empty((n, k), W.dtype), rt.empty(n, W.dtype)
    K = rt.product_kernels(W.dtype, n, k + 1)
    K.weight_grads[rt.grid2(n, k + 1, K.reg)](d_dZ, rt.dev(A_prev), d_W, float(l2), dW, db)
    dA_prev = None
    if need_dA_prev:
        dA = rt.empty((k, m), W.dtype)
        K = rt.product_kernels(W.dtype, k, m)
        K.backprop[rt.grid2(k, m, K.reg)](d_W, d_dZ, dA, dA, rt.dev(np.ones((1, 1), np.uint8)), 1.0,
                                        IDENTITY, 0.0)
        dA_prev = dA.copy_to_host()
    return dW.copy_to_host(), db.copy_to_host(), dA_prev


@rt.quiet()
def output_delta(AL, Y, sample_weight=None):
    K = rt.kernels(AL.dtype)
    out = rt.empty(AL.shape, AL.dtype)
    K.subtract[rt.grid1(AL.size)](rt.dev(AL), rt.dev(Y), out)
    delta = out.copy_to_host()
    return delta if sample_weight is None else delta * sample_weight


@rt.quiet()
def l2_penalty(weights, l2, m):
    if l2 == 0.0:
        return 0.0
    total = 0.0
    for W in weights:
        flat = np.ascontiguousarray(W).ravel()
        K = rt.kernels(flat.dtype)
        grid = rt.grid1(flat.size)
        partial = rt.empty(grid[0], np.float64)
        K.sum_squares[grid](rt.dev(flat), rt.dev(np.array([1, flat.size], np.int64)),
                            rt.dev(np.array([0, flat.size], np.int64)), partial)
        total += float(partial.copy_to_host().sum())
    return float(l2 / (2 * m) * total)


@rt.quiet()
def _cost(ZL, Y, code, weights, l2, sample_weight):
    K = rt.kernels(ZL.dtype)
    m = ZL.shape[1]
    grid = rt.grid1(m)
    partial = rt.empty(grid[0], np.float64)
    d_Z = rt.dev(ZL)
    Yw = rt.dev(with_weight_row(Y, sample_weight))
    K.output_cost[grid](d_Z, rt.empty(ZL.shape, ZL.dtype), Yw, d_Z, code, partial, False)
    return float(partial.copy_to_host().sum()) / m + l2_penalty(weights, l2, m)


def binary_cross_entropy(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, ACTIVATION_CODES["sigmoid"], weights, l2, sample_weight)


def categorical_cross_entropy(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, SOFTMAX, weights, l2, sample_weight)


def mean_squared_error(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, IDENTITY, weights, l2, sample_weight)


def _key(seed, step, layer):
    from .. import hashing
    with rt.quiet():
        return hashing.stream_key(np.uint64(seed), np.uint64(step), np.uint64(layer))


def dropout_mask(seed, step, layer, shape, keep_prob, dtype=np.float64):
    K = rt.kernels(np.float64)
    D = rt.empty(shape, np.uint8)
    with rt.quiet():
        K.mask[rt.grid1(D.size)](_key(seed, step, layer), float(keep_prob), D)
    return D.copy_to_host().astype(dtype)


@rt.quiet()
def dropout_forward(A, D, keep_prob):
    K = rt.kernels(A.dtype)
    out = rt.empty(A.shape, A.dtype)
    K.scale_mask[rt.grid1(A.size)](rt.dev(A), rt.dev(D.astype(A.dtype)),
                                   A.dtype.type(keep_prob), out)
    return out.copy_to_host()


def dropout_backward(dA, D, keep_prob):
    return dropout_forward(dA, D, keep_prob)


@rt.quiet()
def optimizer_update(theta, grad, states, lr, step, opt):
    K = rt.kernels(theta.dtype)
    d_theta = rt.dev(theta)
    d_states = [rt.dev(s) for s in states]
    v, s = opt.state_vectors(d_states, d_theta[:0])
    code, beta, beta2, eps = opt.compiled()
    K.optimizer_step[rt.grid1(theta.size)](
        d_theta, rt.dev(grad), v, s, rt.dev(np.zeros(1, np.int32)), code,
        rt.dev(np.array([lr], np.float64)), rt.ctl(step), beta, beta2, eps)
    theta[...] = d_theta.copy_to_host()
    for host, dev in zip(states, d_states):
        host[...] = dev.copy_to_host()


def gd_update(theta, grad, lr):
    optimizer_update(theta, grad, (), lr, 1, OptSpec("gd"))


def momentum_update(theta, grad, v, lr, beta):
    optimizer_update(theta, grad, (v,), lr, 1, OptSpec("momentum", beta=beta))


def rmsprop_update(theta, grad, s, lr, beta2, epsilon):
    optimizer_update(theta, grad, (s,), lr, 1, OptSpec("rmsprop", beta2=beta2, epsilon=epsilon))


def adam_update(theta, grad, v, s, lr, step, beta1, beta2, epsilon):
    optimizer_update(theta, grad, (v, s), lr, step,
                     OptSpec("adam", beta1=beta1, beta2=beta2, epsilon=epsilon))


def standardize_fit(X):
    K = rt.kernels(np.float64)
    mean, std = rt.empty(X.shape[0], np.float64), rt.empty(X.shape[0], np.float64)
    K.moments[rt.grid1(X.shape[0])](rt.dev(X.astype(np.float64)), mean, std)
    return mean.copy_to_host(), std.copy_to_host()


@rt.quiet()
def standardize(X, mean, std):
    K = rt.kernels(np.float64)
    out = rt.empty(X.shape, np.float64)
    K.standardize[rt.grid1(X.size)](rt.dev(X.astype(np.float64)), rt.dev(mean), rt.dev(std), out)
    return out.copy_to_host()
