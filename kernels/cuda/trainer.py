"""Training on the GPU: `DeviceTrainer` keeps a whole fit on the device (see the package
docstring), and `warmup` compiles what a fit launches."""
import warnings

import numpy as np

from .. import config
from ..spec import ACTIVATION_CODES, with_weight_row
from ..trainer import all_finite
from . import runtime as rt
from .network import DeviceNetwork, network_output


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
        Y = with_weight_row(Y, sample_weight, samples_first=True)  # (m, n_L + 1)
        self.opt, self.batch_size, self.seed, self.step = opt, int(batch_size), int(seed), int(step)
        self.states = [self.cuda.to_device(s) for s in states]
        self.m = X.shape[0]
        free = None if rt.simulated() else self.cuda.current_context().get_memory_info()[0]
        self.resident = free is None or X.nbytes + Y.nbytes < 0.5 * free
        if self.resident:
            self.X, self.Y = rt.dev(X), rt.dev(Y)
        else:
            self.X, self.Y = X, Y
        self.use_graphs = not rt.simulated()
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
            return all_finite(self.X)
        flag = self.cuda.to_device(np.zeros(1, np.int32))
        with rt.quiet():
            self.K.check_finite[rt.grid1(self.X.size)](self.X.reshape(self.X.size), flag)
        return not flag.copy_to_host()[0]

    @property
    def steps_per_epoch(self):
        return -(-self.m // self.batch_size)

    def _optimizer_states(self):
        return self.opt.state_vectors(self.states, self.theta[:0])

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
                self._on_stream(self.K.gather, rt.grid2(mb, batch.shape[0]))(
                    data, self._perms, self.ctl, batch)
        self.forward(views, self.seed, self.spec.uses_dropout, False)
        self.backward_with_cost(views, self.spec.uses_dropout, self._losses, mb / self.m)
        v, s = self._optimizer_states()
        code, beta, beta2, eps = self.opt.compiled()
        self._on_stream(self.K.optimizer_step, rt.grid1(self.spec.n_params))(
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
        with rt.quiet():
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
        code, beta, beta2, eps = opt.compiled()
        threads = max(1, min(self.batch_size, int(config.THREADS_PER_BLOCK)))
        with rt.quiet():
            self.K.train_small[1, threads](
                self.theta, v, s, self.X, self.Y, rt.dev(np.asarray(perms, np.int64)),
                rt.dev(np.asarray(lrs, np.float64)), self.sizes, self.offsets, self._keeps,
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
