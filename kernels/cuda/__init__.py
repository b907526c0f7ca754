"""Numba CUDA backend: every op as ``numba.cuda`` kernels, training resident on the GPU.

Exports the reference's names and signatures (see `kernels.reference` for shapes and
formulas); the ops take and return host arrays. Training goes through `make_trainer`,
whose `DeviceTrainer` keeps parameters, optimizer state, activations and gradients on the
device for the whole fit, copies the data set there once when it fits (else streams each
mini-batch), gathers mini-batches on the device, and synchronises with the host once per
call, to read the epochs' losses. Small networks train in a single launch per call, of
`train_small`; the others run the layer kernels step by step, each step replayed from a
CUDA graph captured at its first occurrence.

numba-cuda is an optional extra, imported only when this backend is used.
"""
import contextlib
import functools
import importlib.util
import os
import warnings

import numpy as np

from .. import config
from .. import contract as _contract
from ..spec import ACTIVATION_CODES, IDENTITY, OPTIMIZER_CODES, SOFTMAX, OptSpec, check_name
from ..spec import with_weight_row as _with_weight_row
from ..trainer import all_finite as _all_finite

name = "cuda"
_CHUNK = 4096


def _cuda():
    """numba.cuda, or an error that says how to get a working one."""
    if importlib.util.find_spec("numba_cuda") is None:
        raise ImportError('backend="cuda" needs numba-cuda with its CUDA 13 libraries: '
                          'pip install "nnkernels[cuda]"')
    from numba import cuda
    if not cuda.is_available():
        raise RuntimeError('backend="cuda" found no usable NVIDIA GPU (driver and device). '
                           'Use backend="numba" on this machine, or set NUMBA_ENABLE_CUDASIM=1 '
                           "to run the CUDA kernels in Numba's (slow) simulator.")
    if not _simulated():
        _check_numpy_typing()
    return cuda


#: The module of numba-cuda's NumPy support, which it loads at the first kernel compilation.
_NUMPY_TYPING = "numba.cuda.np.arrayobj"


def _check_numpy_typing():
    """Load numba-cuda's NumPy support now, so that a NumPy release it cannot handle gives an
    error that says so, instead of an AttributeError from inside the first compilation
    (numba-cuda 0.30 registers np.row_stack, which NumPy 2.5 removed)."""
    try:
        importlib.import_module(_NUMPY_TYPING)
    except ModuleNotFoundError:  # another layout of numba-cuda: nothing to check ahead
        pass
    except AttributeError as exc:
        from importlib.metadata import version
        raise RuntimeError(
            f'backend="cuda": numba-cuda {version("numba-cuda")} cannot compile kernels with '
            f"NumPy {np.__version__} ({exc}). Install a NumPy release that this numba-cuda "
            'supports (for numba-cuda 0.30: pip install "numpy<2.5") or a numba-cuda release '
            "that supports this NumPy.") from exc


def _simulated():
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


@functools.cache
def _build(dtype, tile, tpb, reg):
    from .device import build
    return build(dtype, tile, tpb, reg)


def _kernels(dtype):
    _cuda()
    return _build(np.dtype(dtype).name, int(config.CUDA_TILE), int(config.THREADS_PER_BLOCK),
                  int(config.CUDA_REG_TILE))


@functools.cache
def _multiprocessors():
    return getattr(_cuda().get_current_device(), "MULTIPROCESSOR_COUNT", 1)


def _product_kernels(dtype, rows, cols):
    """The kernels whose matrix products suit an output of rows x cols: register-blocked
    (``config.CUDA_REG_TILE``) when that still gives every multiprocessor
    ``config.CUDA_REG_MIN_TILES_PER_SM`` output tiles, one element per thread otherwise."""
    reg, T = int(config.CUDA_REG_TILE), int(config.CUDA_TILE)
    tiles = -(-rows // (T * reg)) * -(-cols // (T * reg))
    if tiles < config.CUDA_REG_MIN_TILES_PER_SM * _multiprocessors():
        reg = 1
    _cuda()
    return _build(np.dtype(dtype).name, T, int(config.THREADS_PER_BLOCK), reg)


def _grid1(count):
    tpb = int(config.THREADS_PER_BLOCK)
    return max(1, min(config.CUDA_MAX_BLOCKS, -(-count // tpb))), tpb


def _grid2(rows, cols, per_thread=1):
    """(grid, block) of a 2-D kernel over rows x cols, each of whose TILE x TILE threads
    covers per_thread x per_thread elements."""
    T, cap = int(config.CUDA_TILE), min(65535, int(config.CUDA_MAX_BLOCKS))
    side = T * per_thread
    return (max(1, min(cap, -(-cols // side))), max(1, min(cap, -(-rows // side)))), (T, T)


@contextlib.contextmanager
def _quiet():
    """The dropout hash relies on uint64 wrap-around, and a diverging fit computes with
    infinities and NaNs until it stops; the simulator runs both on NumPy scalars in one
    Python thread per CUDA thread (where NumPy's errstate does not reach). Numba warns of
    every launch of fewer than 128 blocks, which the small layers of a network are.

    A context, or a decorator (``@_quiet()``) for an op whose launches all want it."""
    with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
        for message in ("overflow encountered", "invalid value encountered"):
            warnings.filterwarnings("ignore", message, RuntimeWarning)
        warnings.filterwarnings("ignore", "Grid size .* under-utilization")
        yield


def _c_order(a):
    """`a` in C order with the canonical strides, copied only when not contiguous.

    np.ascontiguousarray keeps any stride of a length-1 axis (x[None, :], or the transpose
    of a (1, m) array), and a device copy of such an array launches kernels with a layout
    "A" specialisation instead of the C-order one that `device.signatures` declares."""
    a = np.ascontiguousarray(a)
    return a.reshape(-1).reshape(a.shape)


def _dev(a):
    return _cuda().to_device(_c_order(a))


def _empty(shape, dtype):
    return _cuda().device_array(shape, dtype)


@contextlib.contextmanager
def num_threads(n):
    """Thread-count context of the backend; the GPU has no host threads to set."""
    yield


def warmup(dtype="float64"):
    """Compile every kernel a fit uses for `dtype` (each compiles at its first launch)."""
    from ..warmup import cases
    saved = config.CUDA_FUSED_MAX_WORK, config.CUDA_REG_MIN_TILES_PER_SM
    # the one-launch loop of small networks; the layer kernels, with both kinds of products
    regimes = ((1 << 62, saved[1]), (0, 0), (0, float("inf")))
    try:
        for config.CUDA_FUSED_MAX_WORK, config.CUDA_REG_MIN_TILES_PER_SM in regimes:
            for theta, states, X, Y, spec, opt in cases(dtype, ("sigmoid", "softmax")):
                train_epochs(theta, states, X, Y, np.arange(6)[None, :], [1e-3], spec, opt, 4, 1,
                             0)
                network_output(theta, np.ascontiguousarray(X.T), spec)
    finally:
        config.CUDA_FUSED_MAX_WORK, config.CUDA_REG_MIN_TILES_PER_SM = saved


# ---------------------------------------------------------------------- ops
def activation_forward(Z, activation, slope=0.01):
    K = _kernels(Z.dtype)
    code = ACTIVATION_CODES[check_name(activation, ACTIVATION_CODES, "activation")]
    A = _empty(Z.shape, Z.dtype)
    with _quiet():
        K.activate[_grid1(Z.shape[1])](_dev(Z), A, code, float(slope))
    return A.copy_to_host()


def activation_backward(dA, Z, activation, slope=0.01):
    K = _kernels(Z.dtype)
    code = ACTIVATION_CODES[check_name(activation, ("sigmoid", "tanh", "relu", "leaky_relu",
                                                    "identity"), "activation")]
    dZ = _empty(Z.shape, Z.dtype)
    with _quiet():
        K.derivative[_grid1(Z.size)](_dev(dA), _dev(Z), dZ, code, float(slope))
    return dZ.copy_to_host()


def _ctl(step=0):
    """A step-control array (see `device.STEP`) at optimizer step `step`, epoch 0."""
    return _dev(np.array([step, 0, 0], np.int64))


def _forward(W, b, A_prev, Z, A, D, code, slope, keep, seed, layer, ctl, stream=0):
    """Launch the fused linear forward; softmax runs as a second, column-wise kernel."""
    fused = IDENTITY if code == SOFTMAX else code
    n, m = W.shape[0], A_prev.shape[1]
    K = _product_kernels(W.dtype, n, m)
    K.forward[_grid2(n, m, K.reg) + (stream,)](
        W, b, A_prev, Z, A, D, fused, slope, keep, np.uint64(seed), np.uint64(layer), ctl)
    if code == SOFTMAX:
        K.activate[_grid1(Z.shape[1]) + (stream,)](Z, A, SOFTMAX, slope)


def linear_forward(W, b, A_prev, activation, slope=0.01):
    code = ACTIVATION_CODES[check_name(activation, ACTIVATION_CODES, "activation")]
    n, m = W.shape[0], A_prev.shape[1]
    Z, A = _empty((n, m), W.dtype), _empty((n, m), W.dtype)
    with _quiet():
        _forward(_dev(W), _dev(b), _dev(A_prev), Z, A, _dev(np.ones((1, 1), np.uint8)), code,
                 float(slope), 1.0, 0, 0, _ctl())
    return Z.copy_to_host(), A.copy_to_host()


@_quiet()
def linear_backward(dZ, A_prev, W, l2=0.0, need_dA_prev=True):
    n, k = W.shape
    m = dZ.shape[1]
    d_dZ, d_W = _dev(dZ), _dev(W)
    dW, db = _empty((n, k), W.dtype), _empty(n, W.dtype)
    K = _product_kernels(W.dtype, n, k + 1)
    K.weight_grads[_grid2(n, k + 1, K.reg)](d_dZ, _dev(A_prev), d_W, float(l2), dW, db)
    dA_prev = None
    if need_dA_prev:
        dA = _empty((k, m), W.dtype)
        K = _product_kernels(W.dtype, k, m)
        K.backprop[_grid2(k, m, K.reg)](d_W, d_dZ, dA, dA, _dev(np.ones((1, 1), np.uint8)), 1.0,
                                        IDENTITY, 0.0)
        dA_prev = dA.copy_to_host()
    return dW.copy_to_host(), db.copy_to_host(), dA_prev


@_quiet()
def output_delta(AL, Y, sample_weight=None):
    K = _kernels(AL.dtype)
    out = _empty(AL.shape, AL.dtype)
    K.subtract[_grid1(AL.size)](_dev(AL), _dev(Y), out)
    delta = out.copy_to_host()
    return delta if sample_weight is None else delta * sample_weight


@_quiet()
def l2_penalty(weights, l2, m):
    if l2 == 0.0:
        return 0.0
    total = 0.0
    for W in weights:
        flat = np.ascontiguousarray(W).ravel()
        K = _kernels(flat.dtype)
        grid = _grid1(flat.size)
        partial = _empty(grid[0], np.float64)
        K.sum_squares[grid](_dev(flat), _dev(np.array([1, flat.size], np.int64)),
                            _dev(np.array([0, flat.size], np.int64)), partial)
        total += float(partial.copy_to_host().sum())
    return float(l2 / (2 * m) * total)


@_quiet()
def _cost(ZL, Y, code, weights, l2, sample_weight):
    K = _kernels(ZL.dtype)
    m = ZL.shape[1]
    grid = _grid1(m)
    partial = _empty(grid[0], np.float64)
    d_Z = _dev(ZL)
    Yw = _dev(_with_weight_row(Y, sample_weight))
    K.output_cost[grid](d_Z, _empty(ZL.shape, ZL.dtype), Yw, d_Z, code, partial, False)
    return float(partial.copy_to_host().sum()) / m + l2_penalty(weights, l2, m)


def binary_cross_entropy(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, ACTIVATION_CODES["sigmoid"], weights, l2, sample_weight)


def categorical_cross_entropy(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, SOFTMAX, weights, l2, sample_weight)


def mean_squared_error(ZL, Y, weights=(), l2=0.0, sample_weight=None):
    return _cost(ZL, Y, IDENTITY, weights, l2, sample_weight)


def _key(seed, step, layer):
    from .. import hashing
    with _quiet():
        return hashing.stream_key(np.uint64(seed), np.uint64(step), np.uint64(layer))


def dropout_mask(seed, step, layer, shape, keep_prob, dtype=np.float64):
    K = _kernels(np.float64)
    D = _empty(shape, np.uint8)
    with _quiet():
        K.mask[_grid1(D.size)](_key(seed, step, layer), float(keep_prob), D)
    return D.copy_to_host().astype(dtype)


@_quiet()
def dropout_forward(A, D, keep_prob):
    K = _kernels(A.dtype)
    out = _empty(A.shape, A.dtype)
    K.scale_mask[_grid1(A.size)](_dev(A), _dev(D.astype(A.dtype)), A.dtype.type(keep_prob), out)
    return out.copy_to_host()


def dropout_backward(dA, D, keep_prob):
    return dropout_forward(dA, D, keep_prob)


def _optimizer_constants(opt):
    """(code, beta, beta2, epsilon) of `optimizer_step`: beta is beta1 for adam."""
    beta = opt.beta1 if opt.name == "adam" else opt.beta
    return OPTIMIZER_CODES[opt.name], float(beta), float(opt.beta2), float(opt.epsilon)


@_quiet()
def optimizer_update(theta, grad, states, lr, step, opt):
    K = _kernels(theta.dtype)
    d_theta = _dev(theta)
    d_states = [_dev(s) for s in states]
    v = d_states[0] if opt.name in ("momentum", "adam") else d_theta[:0]
    s = d_states[-1] if opt.name in ("rmsprop", "adam") else d_theta[:0]
    code, beta, beta2, eps = _optimizer_constants(opt)
    K.optimizer_step[_grid1(theta.size)](d_theta, _dev(grad), v, s, _dev(np.zeros(1, np.int32)),
                                         code, _dev(np.array([lr], np.float64)), _ctl(step), beta,
                                         beta2, eps)
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


@_quiet()
def standardize_fit(X):
    K = _kernels(np.float64)
    mean, std = _empty(X.shape[0], np.float64), _empty(X.shape[0], np.float64)
    K.moments[_grid1(X.shape[0])](_dev(X.astype(np.float64)), mean, std)
    return mean.copy_to_host(), std.copy_to_host()


@_quiet()
def standardize(X, mean, std):
    K = _kernels(np.float64)
    out = _empty(X.shape, np.float64)
    K.standardize[_grid1(X.size)](_dev(X.astype(np.float64)), _dev(mean), _dev(std), out)
    return out.copy_to_host()


# ----------------------------------------------------------- whole network
class DeviceNetwork:
    """Parameters and work buffers of a network on the GPU, for batches of up to `capacity`.

    Every layer's Z, A, D and dZ for mb columns is a view into one flat device buffer, built
    once per batch size (`views`), as on the CPU backend. Kernels launch on `stream` (0, the
    default stream, unless a trainer sets its own) and read the optimizer step, the epoch
    and the mini-batch position from the device array `ctl` (see `device.STEP`).
    """

    def __init__(self, theta, spec, capacity):
        self.cuda = _cuda()
        self.K = _kernels(theta.dtype)
        self.spec, self.dtype, self.capacity = spec, theta.dtype, int(capacity)
        self.theta = self.cuda.to_device(theta)
        self.grad = self.cuda.device_array(theta.shape, theta.dtype)
        self.Ws, self.bs = self._params(self.theta)
        self.dWs, self.dbs = self._params(self.grad)
        size = sum(spec.sizes[1:]) * self.capacity
        self.Z = self.cuda.device_array(size, theta.dtype)
        self.A = self.cuda.device_array(size, theta.dtype)
        self.dZ = self.cuda.device_array(size, theta.dtype)
        self.D = self.cuda.device_array(size, np.uint8)
        self.A0 = self.cuda.device_array(spec.sizes[0] * self.capacity, theta.dtype)
        # targets and, in the last row, the example weights
        self.Yb = self.cuda.device_array((spec.sizes[-1] + 1) * self.capacity, theta.dtype)
        self.partial = self.cuda.device_array(int(config.CUDA_MAX_BLOCKS), np.float64)
        self.squares = self.cuda.device_array(int(config.CUDA_MAX_BLOCKS), np.float64)
        self.flag = self.cuda.to_device(np.zeros(1, np.int32))
        self.sizes = self.cuda.to_device(np.asarray(spec.sizes, np.int64))
        self.offsets = self.cuda.to_device(spec.offsets)
        self.ctl = _ctl()
        self.stream = 0
        self._views = {}

    def _params(self, flat):
        Ws, bs = [], []
        for l in range(1, len(self.spec.sizes)):
            n, k, s = self.spec.sizes[l], self.spec.sizes[l - 1], int(self.spec.offsets[l - 1])
            Ws.append(flat[s:s + n * k].reshape(n, k))
            bs.append(flat[s + n * k:s + n * (k + 1)])
        return Ws, bs

    def _on_stream(self, kernel, grid):
        """kernel configured with launch dimensions `grid` on this network's stream."""
        return kernel[tuple(grid) + (self.stream,)]

    def views(self, mb):
        """(A0, Y, Zs, As, Ds, dZs) for a batch of mb columns."""
        if mb not in self._views:
            sizes, out, start = self.spec.sizes, [], 0
            per_layer = ([], [], [], [])
            for l in range(1, len(sizes)):
                stop = start + sizes[l] * mb
                for views, buf in zip(per_layer, (self.Z, self.A, self.D, self.dZ)):
                    views.append(buf[start:stop].reshape(sizes[l], mb))
                start += sizes[l] * self.capacity
            out = (self.A0[:sizes[0] * mb].reshape(sizes[0], mb),
                   self.Yb[:(sizes[-1] + 1) * mb].reshape(sizes[-1] + 1, mb)) + per_layer
            self._views[mb] = out
        return self._views[mb]

    def forward(self, views, seed, dropout, activate_output):
        """Forward pass; dropout (when asked) draws the streams of (seed, ctl's step, l)."""
        A0, _, Zs, As, Ds, _ = views
        spec, L = self.spec, self.spec.n_layers
        A_prev = A0
        for l in range(1, L + 1):
            act = ACTIVATION_CODES[spec.activation]
            code = act if l < L else (ACTIVATION_CODES[spec.output] if activate_output
                                      else IDENTITY)
            keep = spec.keep_probs[l] if dropout else 1.0
            _forward(self.Ws[l - 1], self.bs[l - 1], A_prev, Zs[l - 1], As[l - 1],
                     Ds[l - 1], code, float(spec.slope), float(keep), seed, l, self.ctl,
                     self.stream)
            A_prev = As[l - 1]

    def cost(self, views, want_delta, losses, weight, l2):
        """Add weight * J (data term plus L2 with strength l2) of the last forward pass to
        losses[ctl's epoch] on the device, applying the output activation on the way."""
        _, Y, Zs, As, _, dZs = views
        grid = _grid1(Y.shape[1])
        self._on_stream(self.K.output_cost, grid)(
            Zs[-1], As[-1], Y, dZs[-1], ACTIVATION_CODES[self.spec.output], self.partial,
            want_delta)
        self._add_loss(grid[0], Y.shape[1], losses, weight, l2)

    def backward_with_cost(self, views, dropout, losses, weight):
        """Cost (with dZ_L), backward pass, then the finiteness check of the gradient, which
        raises the flag before add_loss reads it."""
        _, Y, Zs, As, _, dZs = views
        grid = _grid1(Y.shape[1])
        self._on_stream(self.K.output_cost, grid)(
            Zs[-1], As[-1], Y, dZs[-1], ACTIVATION_CODES[self.spec.output], self.partial, True)
        self.backward(views, dropout)
        self._on_stream(self.K.check_finite, _grid1(self.spec.n_params))(self.grad, self.flag)
        self._add_loss(grid[0], Y.shape[1], losses, weight, self.spec.l2)

    def _add_loss(self, n_partial, mb, losses, weight, l2):
        n_squares = 0
        if l2 != 0.0:
            sq_grid = _grid1(max(W.size for W in self.Ws))
            n_squares = sq_grid[0]
            self._on_stream(self.K.sum_squares, sq_grid)(self.theta, self.sizes, self.offsets,
                                                         self.squares)
        self._on_stream(self.K.add_loss, (1, 1))(self.partial, n_partial, self.squares,
                                                 n_squares, mb, float(l2), float(weight),
                                                 losses, self.ctl, self.flag)

    def backward(self, views, dropout):
        A0, _, Zs, As, Ds, dZs = views
        spec = self.spec
        act = ACTIVATION_CODES[spec.activation]
        for l in range(spec.n_layers, 0, -1):
            A_prev = A0 if l == 1 else As[l - 2]
            n, k = spec.sizes[l], spec.sizes[l - 1]
            K = _product_kernels(self.dtype, n, k + 1)
            self._on_stream(K.weight_grads, _grid2(n, k + 1, K.reg))(
                dZs[l - 1], A_prev, self.Ws[l - 1], float(spec.l2), self.dWs[l - 1],
                self.dbs[l - 1])
            if l > 1:
                keep = spec.keep_probs[l - 1] if dropout else 1.0
                K = _product_kernels(self.dtype, k, A0.shape[1])
                self._on_stream(K.backprop, _grid2(k, A0.shape[1], K.reg))(
                    self.Ws[l - 1], dZs[l - 1], dZs[l - 2], Zs[l - 2], Ds[l - 2], float(keep),
                    act, float(spec.slope))


def _batches(X, Y=None):
    for start in range(0, X.shape[1], _CHUNK):
        stop = start + min(_CHUNK, X.shape[1] - start)
        yield (np.ascontiguousarray(X[:, start:stop]),
               None if Y is None else np.ascontiguousarray(Y[:, start:stop]))


def network_output(theta, X, spec):
    net = DeviceNetwork(theta, spec, min(X.shape[1], _CHUNK))
    out = np.empty((spec.sizes[-1], X.shape[1]), theta.dtype)
    start = 0
    with _quiet():
        for A0, _ in _batches(X):
            views = net.views(A0.shape[1])
            views[0].copy_to_device(A0)
            net.forward(views, 0, False, True)
            out[:, start:start + A0.shape[1]] = views[3][-1].copy_to_host()
            start += A0.shape[1]
    return out


def network_cost(theta, X, Y, spec, sample_weight=None):
    net = DeviceNetwork(theta, spec, min(X.shape[1], _CHUNK))
    total = net.cuda.to_device(np.zeros(1))
    m = X.shape[1]
    with _quiet():
        for A0, Yc in _batches(X, _with_weight_row(Y, sample_weight)):
            views = net.views(A0.shape[1])
            views[0].copy_to_device(A0)
            views[1].copy_to_device(Yc)
            net.forward(views, 0, False, False)
            net.cost(views, False, total, A0.shape[1] / m, 0.0)
    return float(total.copy_to_host()[0]) + l2_penalty([W for W, _ in spec.unpack(theta)],
                                                       spec.l2, m)


def cost_and_gradients(theta, X, Y, spec, seed=None, step=0, grad=None, sample_weight=None):
    net = DeviceNetwork(theta, spec, X.shape[1])
    net.ctl = _ctl(step)
    views = net.views(X.shape[1])
    total = net.cuda.to_device(np.zeros(1))
    dropout = seed is not None and spec.uses_dropout
    with _quiet():
        views[0].copy_to_device(np.ascontiguousarray(X))
        views[1].copy_to_device(_with_weight_row(Y, sample_weight))
        net.forward(views, 0 if seed is None else seed, dropout, False)
        net.cost(views, True, total, 1.0, spec.l2)
        net.backward(views, dropout)
    grad = np.empty_like(theta) if grad is None else grad
    grad[...] = net.grad.copy_to_host()
    return float(total.copy_to_host()[0]), grad


class DeviceTrainer(DeviceNetwork):
    """Mini-batch training with everything on the device; see the module docstring.

    A step of the layer kernels reads everything that changes from step to step (t, the
    epoch's permutation and learning rate, the mini-batch's position) from device arrays,
    and its last kernel (`advance`) moves `ctl` on. Its launches are therefore the same at
    every step, and on a real GPU they are captured once per (batch size, gather) into a
    CUDA graph that each later step replays in one launch.
    """

    def __init__(self, theta, states, X, Y, spec, opt, batch_size, seed, step=0,
                 sample_weight=None):
        super().__init__(theta, spec, batch_size)
        Y = _with_weight_row(Y, sample_weight, samples_first=True)  # (m, n_L + 1)
        self.opt, self.batch_size, self.seed, self.step = opt, int(batch_size), int(seed), int(step)
        self.states = [self.cuda.to_device(s) for s in states]
        self.m = X.shape[0]
        self.resident = _simulated() or (X.nbytes + Y.nbytes
                                        < 0.5 * self.cuda.current_context().get_memory_info()[0])
        if self.resident:
            self.X, self.Y = _dev(X), _dev(Y)
        else:
            self.X, self.Y = X, Y
        self.use_graphs = not _simulated()
        if self.use_graphs:
            from cuda.core import Stream
            self.stream = self.cuda.stream()
            self._graph_stream = Stream.from_handle(int(self.stream.handle))
        self._graphs = {}
        self._epochs = 0

    def check_finite(self):
        """Whether every element of the training data X is finite: on a resident data set,
        one launch over X and a 4-byte copy back, which costs less than a host pass over
        X (figures in the README); on a streamed one, a host pass."""
        if not self.resident:
            return _all_finite(self.X)
        flag = self.cuda.to_device(np.zeros(1, np.int32))
        with _quiet():
            self.K.check_finite[_grid1(self.X.size)](self.X.reshape(self.X.size), flag)
        return not flag.copy_to_host()[0]

    @property
    def steps_per_epoch(self):
        return -(-self.m // self.batch_size)

    def _optimizer_states(self):
        opt = self.opt
        v = self.states[0] if opt.name in ("momentum", "adam") else self.theta[:0]
        s = self.states[-1] if opt.name in ("rmsprop", "adam") else self.theta[:0]
        return v, s

    def _call_buffers(self, perms, lrs):
        """Copy a call's permutations and learning rates to the device, zero its losses, and
        set ctl to its first step. The buffers grow (dropping the captured graphs, which
        point into them) when a call has more epochs than any before."""
        n = len(lrs)
        if n > self._epochs:
            self._epochs = max(n, 2 * self._epochs)
            shape = (self._epochs, self.m) if self.resident else (self._epochs, 1)
            self._perms = self.cuda.device_array(shape, np.int64)
            self._lrs = self.cuda.device_array(self._epochs, np.float64)
            self._losses = self.cuda.device_array(self._epochs, np.float64)
            self._graphs.clear()
        if self.resident:
            self._perms[:n].copy_to_device(np.ascontiguousarray(perms, np.int64))
        self._lrs[:n].copy_to_device(np.asarray(lrs, np.float64))
        self._losses[:n].copy_to_device(np.zeros(n))
        self.ctl.copy_to_device(np.array([self.step + 1, 0, 0], np.int64))

    def _step_launches(self, mb, gather):
        """Every launch of one training step on mb examples; gather: load the mini-batch
        from the resident data set first."""
        views = self.views(mb)
        if gather:
            for data, batch in ((self.X, views[0]), (self.Y, views[1])):
                self._on_stream(self.K.gather, _grid2(mb, batch.shape[0]))(data, self._perms,
                                                                          self.ctl, batch)
        self.forward(views, self.seed, self.spec.uses_dropout, False)
        self.backward_with_cost(views, self.spec.uses_dropout, self._losses, mb / self.m)
        v, s = self._optimizer_states()
        code, beta, beta2, eps = _optimizer_constants(self.opt)
        self._on_stream(self.K.optimizer_step, _grid1(self.spec.n_params))(
            self.theta, self.grad, v, s, self.flag, code, self._lrs, self.ctl, beta, beta2, eps)
        self._on_stream(self.K.advance, (1, 1))(self.ctl, self.batch_size, self.m)

    def _step(self, mb, gather):
        """One training step: a replay of its graph, or its launches (then captured)."""
        graph = self._graphs.get((mb, gather))
        if graph is not None:
            graph.launch(self._graph_stream)
            return
        self._step_launches(mb, gather)
        if self.use_graphs:
            try:
                self._graphs[mb, gather] = self._capture(mb, gather)
            except Exception as exc:  # noqa: BLE001 (any failure to capture: launch instead)
                self.use_graphs = False
                warnings.warn(f"CUDA graph capture failed ({exc!r}); training goes on with "
                              "one launch per kernel", RuntimeWarning, stacklevel=2)

    def _capture(self, mb, gather):
        """The executable CUDA graph of a step's launches (recorded, not run)."""
        builder = self._graph_stream.create_graph_builder()
        stream, self.stream = self.stream, builder
        builder.begin_building()
        try:
            self._step_launches(mb, gather)
        finally:
            builder.end_building()
            self.stream = stream
        return builder.complete()

    def run(self, perms, lrs):
        """Train len(lrs) epochs; one device-to-host copy, of the losses, at the end.

        A small network (every kernel of a step below ``config.CUDA_FUSED_MAX_WORK``) with
        its data set on the device trains in one launch of `train_small` per call; other
        networks run the layer kernels step by step.
        """
        small = self.spec.largest_kernel(self.batch_size) < config.CUDA_FUSED_MAX_WORK
        if self.resident and small:
            return self._run_fused(perms, lrs)
        n = len(lrs)
        static = self.batch_size >= self.m and bool(np.all(perms == np.arange(self.m)))
        with _quiet():
            self._call_buffers(perms, lrs)
            for e in range(n):
                for start in range(0, self.m, self.batch_size):
                    mb = min(self.batch_size, self.m - start)
                    if not self.resident:
                        idx = perms[e, start:start + mb]
                        views = self.views(mb)
                        views[0].copy_to_device(np.ascontiguousarray(self.X[idx].T))
                        views[1].copy_to_device(np.ascontiguousarray(self.Y[idx].T))
                    self._step(mb, self.resident and (not static or e == 0))
        self.step += self.steps_per_epoch * n
        if self.use_graphs:
            self.stream.synchronize()
        return self._losses[:n].copy_to_host()

    def _run_fused(self, perms, lrs):
        spec, opt, cap = self.spec, self.opt, self.capacity
        rows = sum(spec.sizes[1:])
        losses = self.cuda.to_device(np.zeros(len(lrs)))
        v, s = self._optimizer_states()
        if not hasattr(self, "_costs"):
            self._costs = self.cuda.device_array(cap, np.float64)
            self._keeps = self.cuda.to_device(np.asarray(spec.keep_probs, np.float64))
        code, beta, beta2, eps = _optimizer_constants(opt)
        threads = max(1, min(self.batch_size, int(config.THREADS_PER_BLOCK)))
        with _quiet():
            self.K.train_small[1, threads](
                self.theta, v, s, self.X, self.Y, _dev(np.asarray(perms, np.int64)),
                _dev(np.asarray(lrs, np.float64)), self.sizes, self.offsets, self._keeps,
                ACTIVATION_CODES[spec.activation], ACTIVATION_CODES[spec.output],
                float(spec.slope), float(spec.l2), code, beta, beta2, eps, self.batch_size,
                np.uint64(self.seed),
                self.step, self.A0.reshape(spec.sizes[0], cap),
                self.Yb.reshape(spec.sizes[-1] + 1, cap), self.Z.reshape(rows, cap),
                self.A.reshape(rows, cap), self.D.reshape(rows, cap), self.dZ.reshape(rows, cap),
                self._costs, self.grad, losses, self.flag)
        self.step += self.steps_per_epoch * len(lrs)
        return losses.copy_to_host()

    def get_theta(self):
        return self.theta.copy_to_host()

    def get_states(self):
        return tuple(s.copy_to_host() for s in self.states)


def train_epochs(theta, states, X, Y, perms, lrs, spec, opt, batch_size, seed, step,
                 sample_weight=None):
    trainer = DeviceTrainer(theta, states, X, Y, spec, opt, batch_size, seed, step,
                            sample_weight)
    losses = trainer.run(perms, lrs)
    theta[...] = trainer.get_theta()
    for host, dev in zip(states, trainer.get_states()):
        host[...] = dev
    return losses


def make_trainer(theta, states, X, Y, spec, opt, batch_size, seed, step=0, sample_weight=None):
    """A trainer that keeps the whole fit on the GPU."""
    return DeviceTrainer(theta, states, X, Y, spec, opt, batch_size, seed, step, sample_weight)


_contract.document(globals())
