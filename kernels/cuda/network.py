"""A network's parameters and work buffers on the GPU (`DeviceNetwork`), and the whole
network's output, cost and gradients through it."""
import numpy as np

from .. import config
from ..spec import ACTIVATION_CODES, IDENTITY, with_weight_row
from . import runtime as rt
from .ops import forward_layer, l2_penalty

#: Columns per call of network_output/network_cost, to bound their work buffers.
_CHUNK = 4096


class DeviceNetwork:
    """Parameters and work buffers of a network on the GPU, for batches of up to `capacity`.

    Every layer's Z, A, D and dZ for mb columns is a view into one flat device buffer, built
    once per batch size (`views`), as on the CPU backend. Kernels launch on `stream` (0, the
    default stream, unless a trainer sets its own) and read the optimizer step, the epoch
    and the mini-batch position from the device array `ctl` (see `device.STEP`).
    """

    def __init__(self, theta, spec, capacity):
        self.cuda = rt.cuda()
        self.K = rt.kernels(theta.dtype)
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
        self.ctl = rt.ctl()
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
            forward_layer(self.Ws[l - 1], self.bs[l - 1], A_prev, Zs[l - 1], As[l - 1],
                     Ds[l - 1], code, float(spec.slope), float(keep), seed, l, self.ctl,
                     self.stream)
            A_prev = As[l - 1]

    def cost(self, views, want_delta, losses, weight, l2):
        """Add weight * J (data term plus L2 with strength l2) of the last forward pass to
        losses[ctl's epoch] on the device, applying the output activation on the way."""
        _, Y, Zs, As, _, dZs = views
        grid = rt.grid1(Y.shape[1])
        self._on_stream(self.K.output_cost, grid)(
            Zs[-1], As[-1], Y, dZs[-1], ACTIVATION_CODES[self.spec.output], self.partial,
            want_delta)
        self._add_loss(grid[0], Y.shape[1], losses, weight, l2)

    def backward_with_cost(self, views, dropout, losses, weight):
        """Cost (with dZ_L), backward pass, then the finiteness check of the gradient, which
        raises the flag before add_loss reads it."""
        _, Y, Zs, As, _, dZs = views
        grid = rt.grid1(Y.shape[1])
        self._on_stream(self.K.output_cost, grid)(
            Zs[-1], As[-1], Y, dZs[-1], ACTIVATION_CODES[self.spec.output], self.partial, True)
        self.backward(views, dropout)
        self._on_stream(self.K.check_finite, rt.grid1(self.spec.n_params))(self.grad, self.flag)
        self._add_loss(grid[0], Y.shape[1], losses, weight, self.spec.l2)

    def _add_loss(self, n_partial, mb, losses, weight, l2):
        n_squares = 0
        if l2 != 0.0:
            sq_grid = rt.grid1(max(W.size for W in self.Ws))
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
            K = rt.product_kernels(self.dtype, n, k + 1)
            self._on_stream(K.weight_grads, rt.grid2(n, k + 1, K.reg))(
                dZs[l - 1], A_prev, self.Ws[l - 1], float(spec.l2), self.dWs[l - 1],
                self.dbs[l - 1])
            if l > 1:
                keep = spec.keep_probs[l - 1] if dropout else 1.0
                K = rt.product_kernels(self.dtype, k, A0.shape[1])
                self._on_stream(K.backprop, rt.grid2(k, A0.shape[1], K.reg))(
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
    with rt.quiet():
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
    with rt.quiet():
        for A0, Yc in _batches(X, with_weight_row(Y, sample_weight)):
            views = net.views(A0.shape[1])
            views[0].copy_to_device(A0)
            views[1].copy_to_device(Yc)
            net.forward(views, 0, False, False)
            net.cost(views, False, total, A0.shape[1] / m, 0.0)
    return float(total.copy_to_host()[0]) + l2_penalty([W for W, _ in spec.unpack(theta)],
                                                       spec.l2, m)


def cost_and_gradients(theta, X, Y, spec, seed=None, step=0, grad=None, sample_weight=None):
    net = DeviceNetwork(theta, spec, X.shape[1])
    net.ctl = rt.ctl(step)
    views = net.views(X.shape[1])
    total = net.cuda.to_device(np.zeros(1))
    dropout = seed is not None and spec.uses_dropout
    with rt.quiet():
        views[0].copy_to_device(np.ascontiguousarray(X))
        views[1].copy_to_device(with_weight_row(Y, sample_weight))
        net.forward(views, 0 if seed is None else seed, dropout, False)
        net.cost(views, True, total, 1.0, spec.l2)
        net.backward(views, dropout)
    grad = np.empty_like(theta) if grad is None else grad
    grad[...] = net.grad.copy_to_host()
    return float(total.copy_to_host()[0]), grad
