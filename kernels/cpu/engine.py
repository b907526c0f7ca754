"""The whole network on the Numba CPU backend: predictions, costs, gradients and training.

A call picks one of three paths by the network's size: the fused code of small networks
(``small.py``, every kernel of a step below ``config.FUSED_MAX_WORK``), the layer loop of
``network.py`` (NumPy's matmul for the products, compiled epilogues), or, within the layer
loop, the Gram path of full-batch gradient descent with more features than examples. It
also holds the warm-up and the first fit's compile helper (`_loop_compiled_here`).
"""
import numba
import numpy as np

from .. import config
from ..spec import GD, with_weight_row
from . import updates as U
from .network import Workspace
from .network import network_pass as _network_pass
from .network import stacked_buffers as _stacked_buffers
from .network import train_loop as _train_loop
from .ops import l2_penalty
from .small import FUSED as _FUSED
from .small import backward as _backward
from .small import train_steps as _train_steps
from .threads import serialized

#: Columns per call of network_output/network_cost, to bound their work buffers.
_CHUNK = 4096


def _chunks(X):
    """(start, X0): column chunks of X (n_0, m), each as sample-major rows (mb, n_0)."""
    m = X.shape[1]
    for start in range(0, m, _CHUNK):
        yield start, np.ascontiguousarray(X[:, start:start + _CHUNK].T)


def _fused_capacity(spec, m):
    """Columns per call of the fused network code (``small.py``) for m examples: at most
    _CHUNK, halved until every kernel has less work than FUSED_MAX_WORK; 0 when even
    16 columns are too many."""
    capacity = min(m, _CHUNK)
    while capacity > 16 and spec.largest_kernel(capacity) >= config.FUSED_MAX_WORK:
        capacity = (capacity + 1) // 2
    return capacity if spec.largest_kernel(capacity) < config.FUSED_MAX_WORK else 0


def _fused_buffers(spec, capacity, dtype):
    """The fused code's stacked buffers and a zero (n_L + 1, capacity) target buffer."""
    return (_stacked_buffers(spec.sizes, capacity, dtype),
            np.zeros((spec.sizes[-1] + 1, capacity), dtype))


def _fused_forward(theta, X, Y, net, spec, capacity, out, seed=np.uint64(0), step=0,
                   dropout=False):
    """Forward passes of the fused code (``small.forward_cost``) over the columns of X
    (n_0, m), `capacity` at a time: A_L into out (n_L, m), and the summed data cost against
    Y (n_L + 1, m) with its weight row, or against zeros when Y has no columns (the caller
    ignores it then).
    Returns that sum and the buffers, which hold the last chunk's pass."""
    stack, Yb = _fused_buffers(spec, capacity, theta.dtype)
    A, L, n0, nL = stack[0], len(spec.sizes) - 1, spec.sizes[0], spec.sizes[-1]
    forward_cost = _FUSED[int(net.out)][0]
    total = 0.0
    for start in range(0, X.shape[1], capacity):
        mb = min(capacity, X.shape[1] - start)
        A[0, :n0, :mb] = X[:, start:start + mb]
        if Y.shape[1]:
            Yb[:, :mb] = Y[:, start:start + mb]
        total += forward_cost(theta, Yb, stack, net, seed, step, dropout, mb) * mb
        out[:, start:start + mb] = A[L, :nL, :mb]
    return total, (stack, Yb)


@serialized
def network_output(theta, X, spec):
    out = np.empty((spec.sizes[-1], X.shape[1]), theta.dtype)
    capacity = _fused_capacity(spec, X.shape[1])
    if capacity:
        _fused_forward(theta, X, X[:, :0], spec.compiled(), spec, capacity, out)
        return out
    net = spec.compiled()
    ws = Workspace(spec.sizes, min(X.shape[1], _CHUNK), theta.dtype, 0)
    for start, X0 in _chunks(X):
        mb = X0.shape[0]
        _network_pass(theta, theta, X0, X0, net, ws, 0, 0, False, "output")
        AL = ws.A[(sum(spec.sizes[1:-1])) * mb:][:spec.sizes[-1] * mb]
        out[:, start:start + mb] = AL.reshape(spec.sizes[-1], mb)
    return out


@serialized
def network_cost(theta, X, Y, spec, sample_weight=None):
    data_only = spec.compiled()._replace(l2=0.0)
    m = X.shape[1]
    Y = with_weight_row(Y, sample_weight)
    capacity = _fused_capacity(spec, m)
    if capacity:
        total, _ = _fused_forward(theta, X, Y, data_only, spec, capacity,
                                  np.empty((spec.sizes[-1], m), theta.dtype))
        return total / m + l2_penalty([W for W, _ in spec.unpack(theta)], spec.l2, m)
    ws = Workspace(spec.sizes, min(m, _CHUNK), theta.dtype, 0)
    total = 0.0
    for start, X0 in _chunks(X):
        mb = X0.shape[0]
        Yc = np.ascontiguousarray(Y[:, start:start + mb])  # targets and weights
        total += _network_pass(theta, theta, X0, Yc, data_only, ws, 0, 0, False, "cost") * mb
    return total / m + l2_penalty([W for W, _ in spec.unpack(theta)], spec.l2, m)


@serialized
def cost_and_gradients(theta, X, Y, spec, seed=None, step=0, grad=None, sample_weight=None):
    grad = np.empty_like(theta) if grad is None else grad
    dropout = seed is not None and spec.uses_dropout
    m = X.shape[1]
    Y = with_weight_row(Y, sample_weight)
    if _fused_capacity(spec, m) == m:
        net = spec.compiled()
        AL = np.empty((spec.sizes[-1], m), theta.dtype)
        cost, (stack, _) = _fused_forward(theta, X, Y, net, spec, m, AL,
                                          np.uint64(0 if seed is None else seed), int(step),
                                          dropout)
        _backward(theta, grad, stack, net, dropout, m)
        return float(cost / m), grad
    X0 = np.ascontiguousarray(X.T)
    ws = Workspace(spec.sizes, X0.shape[0], theta.dtype, 0)
    cost = _network_pass(theta, grad, X0, Y, spec.compiled(), ws, 0 if seed is None else seed,
                         int(step), dropout, "gradient")
    return float(cost), grad


def _gram_pays(spec, opt, m, batch_size, n_epochs, have_G=False):
    """Whether the layer loop's Gram path (`network.Gram`) saves work: plain gradient
    descent on the full batch, with the first layer's two (n_1, n_0) x (n_0, m) products
    per step costing more over the call than forming G = A0^T A0 (n_0 m^2, once per fit)
    and W_1 A0 twice per call (setup and the final W_1)."""
    if opt.name != "gd" or batch_size < m or spec.sizes[0] <= m:
        return False
    n0, n1 = spec.sizes[0], spec.sizes[1]
    saved = n_epochs * 2 * n1 * m * (n0 - 2 * m)
    return saved > (0 if have_G else n0 * m * m) + 2 * n1 * n0 * m


def _gram_buffers(ws, spec, m, dtype):
    if ws.gram is None:
        n1 = spec.sizes[1]
        ws.gram = (np.empty((m, m), dtype),) + tuple(np.empty((n1, m), dtype) for _ in range(4))
    return ws.gram


def train_epochs(theta, states, X, Y, perms, lrs, spec, opt, batch_size, seed, step,
                 sample_weight=None):
    ws = Workspace(spec.sizes, batch_size, theta.dtype, spec.n_params)
    Yw = with_weight_row(Y, sample_weight, samples_first=True)
    return _train_epochs(theta, states, X, Yw, perms, lrs, spec, opt, batch_size, seed, step, ws)


@serialized
def _train_epochs(theta, states, X, Y, perms, lrs, spec, opt, batch_size, seed, step, ws):
    """`train_epochs` with its work buffers; Y (m, n_L + 1) carries the weight column."""
    v, s = opt.state_vectors(states, theta[:0])
    losses = np.zeros(len(lrs))
    m = X.shape[0]
    static = batch_size >= m and bool(np.all(perms == np.arange(m)))
    use_gram = static and _gram_pays(spec, opt, m, batch_size, len(lrs), ws.gram_ready)
    lrs, net, opt_codes = np.asarray(lrs, np.float64), spec.compiled(), opt.compiled()
    fused = spec.largest_kernel(batch_size) < config.FUSED_MAX_WORK and not use_gram
    layout = "stacked" if fused else "flat"
    seed, step, have_A0 = np.uint64(seed), int(step), static and ws.batch_ready == layout
    if fused:
        stack, Yb = ws.stacked(spec.sizes)
        forward_cost, train_loop_small = _FUSED[int(net.out)]
        args = (theta, v, s, X, Y, perms, lrs, net, opt_codes, int(batch_size), seed, step,
                stack, Yb, ws.grad, ws.hp, losses, static, have_A0)
        if _loop_compiled_here(train_loop_small, args, spec.output):
            train_loop_small(*args)
        else:
            _train_steps(*args, forward_cost)
    else:
        gram = _gram_buffers(ws, spec, m, theta.dtype) if use_gram else None
        _train_loop(theta, v, s, X, Y, perms, lrs, net, opt_codes, int(batch_size), seed, step,
                    ws, static, gram, ws.gram_ready, have_A0, losses)
    ws.gram_ready = ws.gram_ready or use_gram
    ws.batch_ready = layout if static else None
    return losses


def make_trainer(theta, states, X, Y, spec, opt, batch_size, seed, step=0, sample_weight=None):
    """A trainer whose work buffers are allocated once, here, for the whole fit."""
    from ..trainer import HostTrainer
    ws = Workspace(spec.sizes, int(batch_size), theta.dtype, spec.n_params)
    Yw = with_weight_row(Y, sample_weight, samples_first=True)
    return HostTrainer(_train_epochs, theta, states, X, Yw, spec, opt, batch_size, seed, step,
                       ws=ws)


@serialized
def warmup(dtype="float64"):
    """Compile (or load from the cache) every kernel a fit, a predict and a cost (which
    also scores validation data during a fit) use, for `dtype`: the fused network code of
    small networks, and the kernels of the layer loop (``network.py``), whose matrix
    products NumPy computes.

    With two cores or more, a second Python process compiles the fused code into Numba's
    cache while this one compiles the layer kernels, and this one then loads it from there.
    """
    helper = _compile_elsewhere(f"c._warm({np.dtype(dtype).name!r}, True)")
    try:
        _warm(dtype, fused=False)
    except BaseException:
        if helper is not None:
            helper.kill()
            helper.wait()
        raise
    if helper is not None:
        helper.wait()  # whatever it did not cache compiles below, in this process
    _warm(dtype, fused=True)


def _warm(dtype, fused):
    """Run every warm-up case through the fused code or through the layer kernels."""
    from ..warmup import cases
    saved, _LOOP_HERE[0] = config.FUSED_MAX_WORK, True
    config.FUSED_MAX_WORK = 1 << 62 if fused else 0
    try:
        for theta, states, X, Y, spec, opt in cases(dtype):
            train_epochs(theta, states, X, Y, np.arange(6)[None, :], [1e-3], spec, opt, 4, 1, 0)
            network_output(theta, np.ascontiguousarray(X.T), spec)
            network_cost(theta, np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T), spec)
    finally:
        config.FUSED_MAX_WORK, _LOOP_HERE[0] = saved, False


def _compile_elsewhere(code):
    """A fresh Python process running `code` after ``import kernels.cpu as c``, with this
    process's environment (and so Numba's cache directory), or None where a second process
    cannot help: one core, a daemon process (a Dask worker, whose node's cores its
    sibling workers share), or ``config.COMPILE_HELPERS`` off. It is a plain interpreter,
    not a multiprocessing child, which would import the caller's main script again."""
    import multiprocessing
    import os
    import subprocess
    import sys
    if ((os.cpu_count() or 1) < 2 or multiprocessing.current_process().daemon
            or not config.COMPILE_HELPERS):
        return None
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    return subprocess.Popen([sys.executable, "-c", "import kernels.cpu.engine as c; " + code],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


#: (fused training loop, its argument types) -> the process compiling it into Numba's cache,
#: or None once the loop runs here.
_LOOP_HELPERS = {}
#: Set while `_warm` runs: every fused fit then compiles (or loads) its loop here.
_LOOP_HERE = [False]


def _loop_compiled_here(loop, args, output):
    """Whether a fused fit runs the compiled training loop `loop` (a `small.FUSED` copy)
    on `args`, compiling or loading it in this process, or steps from Python
    (`small.train_steps`) while a second process compiles it.

    A machine's first fused fit would wait several seconds for Numba to compile the loop,
    which links the forward and backward passes and takes about as long as both. When the
    loop is neither compiled here nor in Numba's cache, a second Python process
    (`_compile_elsewhere`) compiles the backward pass, the optimizer step and then the
    loop into the cache (`_compile_fused_parts`), while this one compiles the forward pass
    and steps from Python with the same compiled passes. Once that process has exited,
    later calls load the loop from the cache, or compile it here if it did not get there.
    With one core, in a daemon process, or during `nn.warmup`, the loop compiles here.
    """
    key = (loop, _argument_kinds(args))
    if key in _LOOP_HELPERS:
        helper = _LOOP_HELPERS[key]
        if helper is None or helper.poll() is not None:  # exited (and reaped)
            _LOOP_HELPERS[key] = None
            return True
        return False
    _LOOP_HELPERS[key] = None
    if _LOOP_HERE[0]:
        return True
    try:
        sig = tuple(numba.typeof(a) for a in args)
    except Exception:  # noqa: BLE001 (an argument Numba cannot type: let the call say so)
        return True
    if sig in loop.overloads or _in_cache(loop, sig):
        return True
    dtype = args[0].dtype.name
    _LOOP_HELPERS[key] = _compile_elsewhere(f"c._compile_fused_parts({dtype!r}, {output!r})")
    return _LOOP_HELPERS[key] is None


def _argument_kinds(args):
    """What tells the compilations of a loop apart, in the arguments `args`: each array's
    dtype, dimensions and C order, the type of anything else. It costs far less than
    Numba's typeof, which `_loop_compiled_here` asks only when a kind is new: a small
    network's fit calls it every chunk of epochs."""
    return tuple((a.dtype, a.ndim, a.flags.c_contiguous) if isinstance(a, np.ndarray)
                 else type(a) for a in args)


def _wait_for_compiles(timeout=None):
    """Wait for the processes compiling fused training loops for this one (see
    `_loop_compiled_here`) to exit, so that the next fits run the compiled loops, as a
    benchmark's timed fits should; returns how many there were.

    Parameters
    ----------
    timeout : float, optional
        Seconds to wait for each; ``subprocess.TimeoutExpired`` past it.
    """
    helpers = [h for h in _LOOP_HELPERS.values() if h is not None]
    for helper in helpers:
        helper.wait(timeout)
    return len(helpers)


def _in_cache(dispatcher, sig):
    """Whether Numba's cache holds `dispatcher` compiled for the argument types `sig`: a
    look at the cache's index, which loads no code."""
    try:
        cache = dispatcher._cache
        key = cache._index_key(sig, dispatcher.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except Exception:  # noqa: BLE001 (Numba's cache internals changed: take it as cached)
        return True


def _compile_fused_parts(dtype, output):
    """Compile into Numba's cache what a fused fit in `dtype` with output activation
    `output` calls after its forward pass, the backward pass and the serial optimizer step
    (a gradient-descent step compiles every optimizer's code), and then its training loop,
    through the warm-up's case for that output: its argument types are those of real fits
    (`tests/test_cpu_backend.py` checks that the warm-up covers them)."""
    from ..warmup import cases
    theta, states, X, Y, spec, opt = next(cases(dtype, (output,)))
    stack, _ = _fused_buffers(spec, 4, theta.dtype)
    _backward(theta, np.empty_like(theta), stack, spec.compiled(), False, 4)
    hp = np.zeros(8, theta.dtype)
    U.optimizer_step_serial(theta, np.zeros_like(theta), theta[:0], theta[:0], GD, hp)
    _LOOP_HERE[0] = True
    train_epochs(theta, states, X, Y, np.arange(6)[None, :], [1e-3], spec, opt, 4, 1, 0)
