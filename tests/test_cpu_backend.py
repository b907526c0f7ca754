"""The Numba CPU backend against the NumPy reference.

Tolerances: every op within 1e-12 relative in float64 and 1e-5 in float32; whole trainings
within 1e-8 after 20 epochs in float64; dropout masks bit for bit. Each comparison runs with
the serial and the parallel compilation, with explicit loops and with BLAS, and at 1 and 2
threads, so that every code path (and any race between prange iterations) is exercised.
"""
import ast
import itertools
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pytest

numba = pytest.importorskip("numba")

import kernels  # noqa: E402
import nn  # noqa: E402
from kernels import config, reference as ref  # noqa: E402
from kernels.spec import OPTIMIZERS, SIGMOID, NetSpec, OptSpec, with_weight_row  # noqa: E402
from kernels.cpu import engine, ops  # noqa: E402
from kernels.cpu.blas import gemm  # noqa: E402
from kernels.cpu.network import Workspace  # noqa: E402

cpu = kernels.get_backend("numba")
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}
SHAPES = [(1, 1, 1), (1, 3, 5), (5, 1, 1), (7, 3, 65), (4, 9, 64), (13, 6, 130)]


LAYER_PATHS = ["serial-loops", "parallel-loops", "serial-blas", "parallel-blas"]


def _force(monkeypatch, name):
    """Force one execution path: the fused small-network training loop, or the layer
    kernels, serial or parallel, with loop or BLAS products."""
    if name == "fused":
        monkeypatch.setattr(config, "FUSED_MAX_WORK", 1 << 62)
        return name
    mode, product = name.split("-")
    monkeypatch.setattr(config, "FUSED_MAX_WORK", 0)
    monkeypatch.setattr(config, "PARALLEL_MIN_WORK", 0 if mode == "parallel" else 1 << 62)
    monkeypatch.setattr(config, "BLAS_MIN_WORK", 0 if product == "blas" else 1 << 62)
    return name


@pytest.fixture(params=LAYER_PATHS)
def path(request, monkeypatch):
    return _force(monkeypatch, request.param)


@pytest.fixture(params=["fused"] + LAYER_PATHS)
def training_path(request, monkeypatch):
    return _force(monkeypatch, request.param)


@pytest.fixture(params=[1, 2])
def threads(request):
    with cpu.num_threads(min(request.param, numba.config.NUMBA_NUM_THREADS)):
        yield request.param


@pytest.mark.parametrize("shape", [(1, 1), (10, 10), (4, 64), (3, 1000), (1000, 8), (40, 70)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_matches_reference_on_both_sides_of_the_row_sweep(dtype, shape):
    """Stand-alone softmax walks the columns of a small Z and sweeps the rows of a larger
    one (`ops._ROWS_PAY` elements and up); both equal the reference, on logits far from 0."""
    rng = np.random.default_rng(shape[0])
    Z = (rng.normal(size=shape) * 30 + rng.normal(size=(1, shape[1])) * 500).astype(dtype)
    np.testing.assert_allclose(cpu.activation_forward(Z, "softmax"),
                               ref.activation_forward(Z, "softmax"), **TOL[dtype])
    assert 10 * 10 < ops._ROWS_PAY <= 4 * 64  # so that the shapes run both ways


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n,k,m", SHAPES)
def test_linear_ops_match_reference(path, threads, dtype, n, k, m):
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    W, b = rng.normal(size=(n, k)).astype(dtype), rng.normal(size=n).astype(dtype)
    A_prev, dZ = rng.normal(size=(k, m)).astype(dtype), rng.normal(size=(n, m)).astype(dtype)
    for act in ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"]:
        for got, want in zip(cpu.linear_forward(W, b, A_prev, act, 0.1),
                             ref.linear_forward(W, b, A_prev, act, 0.1)):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, **TOL[dtype])
    for got, want in zip(cpu.linear_backward(dZ, A_prev, W, 0.3),
                         ref.linear_backward(dZ, A_prev, W, 0.3)):
        np.testing.assert_allclose(got, want, **TOL[dtype])
    assert cpu.linear_backward(dZ, A_prev, W, 0.3, need_dA_prev=False)[2] is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_elementwise_ops_match_reference(threads, dtype):
    rng = np.random.default_rng(1)
    Z, dA = (rng.normal(size=(7, 67)) * 4).astype(dtype), rng.normal(size=(7, 67)).astype(dtype)
    for act in ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"]:
        np.testing.assert_allclose(cpu.activation_forward(Z, act, 0.2),
                                   ref.activation_forward(Z, act, 0.2), **TOL[dtype])
    for act in ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]:
        np.testing.assert_allclose(cpu.activation_backward(dA, Z, act, 0.2),
                                   ref.activation_backward(dA, Z, act, 0.2), **TOL[dtype])
    Y = rng.random((7, 67)).astype(dtype)
    np.testing.assert_allclose(cpu.output_delta(Z, Y), ref.output_delta(Z, Y), **TOL[dtype])
    weights = [Z, dA[:3]]
    Y1 = (rng.random((1, 67)) > 0.5).astype(dtype)
    Yc = np.eye(7, dtype=dtype)[:, rng.integers(0, 7, 67)]
    for name, ZL, YL in [("binary_cross_entropy", Z[:1], Y1),
                         ("categorical_cross_entropy", Z, Yc), ("mean_squared_error", Z, Y)]:
        assert getattr(cpu, name)(ZL, YL, weights, 0.4) == pytest.approx(
            getattr(ref, name)(ZL, YL, weights, 0.4), rel=TOL[dtype]["rtol"])
    mean, std = cpu.standardize_fit(Z.astype(np.float64))
    want_mean, want_std = ref.standardize_fit(Z.astype(np.float64))
    np.testing.assert_allclose(mean, want_mean, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(std, want_std, rtol=1e-12)
    np.testing.assert_allclose(cpu.standardize(Z.astype(np.float64), mean, std),
                               ref.standardize(Z.astype(np.float64), mean, std), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (3, 200), (70, 5)])
def test_dropout_masks_bit_for_bit(threads, shape):
    for keep in (0.5, 0.9):
        D = cpu.dropout_mask(2 ** 63 + 7, 12, 3, shape, keep)
        np.testing.assert_array_equal(D, ref.dropout_mask(2 ** 63 + 7, 12, 3, shape, keep))
    A = np.random.default_rng(0).normal(size=shape)
    # the scaled values may differ by an ulp (fast-math reciprocal), the zeros may not
    for op in ("dropout_forward", "dropout_backward"):
        got, want = getattr(cpu, op)(A, D, 0.9), getattr(ref, op)(A, D, 0.9)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(got == 0, want == 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_updates_match_reference(path, dtype, name):
    rng = np.random.default_rng(3)
    theta, grad = rng.normal(size=301).astype(dtype), rng.normal(size=301).astype(dtype)
    states = tuple(rng.random(301).astype(dtype) for _ in range(OptSpec(name).n_states))
    a = [theta.copy(), *[s.copy() for s in states]]
    b = [theta.copy(), *[s.copy() for s in states]]
    opt = OptSpec(name, beta=0.8, beta1=0.85, beta2=0.97, epsilon=1e-7)
    cpu.optimizer_update(a[0], grad, tuple(a[1:]), 0.01, 5, opt)
    ref.optimizer_update(b[0], grad, tuple(b[1:]), 0.01, 5, opt)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, **TOL[dtype])


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_network_functions_match_reference(training_path, output):
    rng = np.random.default_rng(4)
    n_out = 1 if output == "sigmoid" else 3
    spec = NetSpec((5, 7, 4, n_out), "tanh", output, l2=0.2, keep_probs=(1, 0.7, 0.9, 1))
    theta = rng.normal(size=spec.n_params)
    X = rng.normal(size=(5, 70))
    Y = np.eye(3)[:, rng.integers(0, 3, 70)] if output == "softmax" else rng.random((n_out, 70))
    assert bool(engine._fused_capacity(spec, 70)) == (training_path == "fused")
    np.testing.assert_allclose(cpu.network_output(theta, X, spec),
                               ref.network_output(theta, X, spec), rtol=1e-12, atol=1e-14)
    assert cpu.network_cost(theta, X, Y, spec) == pytest.approx(
        ref.network_cost(theta, X, Y, spec), rel=1e-12)
    for seed in (None, 77):
        c1, g1 = cpu.cost_and_gradients(theta, X, Y, spec, seed, 3)
        c2, g2 = ref.cost_and_gradients(theta, X, Y, spec, seed, 3)
        assert c1 == pytest.approx(c2, rel=1e-12)
        np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-13)


CASES = list(itertools.product(["relu", "tanh", "sigmoid", "leaky_relu"],
                               ["gd", "momentum", "rmsprop", "adam"], [1.0, 0.8], [0.0, 0.5]))
CASES += [("tanh", "nesterov", 0.8, 0.5), ("relu", "nesterov", 1.0, 0.0)]


def _train_pair(X, y, cls=nn.DeepNeuralNetwork, **kw):
    a = cls(backend="numpy", random_state=5, **kw).fit(X, y)
    b = cls(backend="numba", random_state=5, **kw).fit(X, y)
    return a, b


def _assert_same_params(a, b, tol):
    for (Wa, ba), (Wb, bb) in zip(a.params_, b.params_):
        np.testing.assert_allclose(Wb, Wa, rtol=tol, atol=tol)
        np.testing.assert_allclose(bb, ba, rtol=tol, atol=tol)
    np.testing.assert_allclose(b.history_["loss"], a.history_["loss"], rtol=tol, atol=tol)


@pytest.mark.parametrize("loop", ["fused", "layers"])
@pytest.mark.parametrize("activation,optimizer,keep,l2", CASES)
def test_training_matches_reference(monkeypatch, loop, activation, optimizer, keep, l2):
    """Both training loops of small networks: the fused one over three batch sizes, the
    layer kernels' over one."""
    _force(monkeypatch, "fused" if loop == "fused" else "serial-loops")
    rng = np.random.default_rng(6)
    X = rng.normal(size=(83, 4))
    y = (X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(int)
    batches = (None, 1 if optimizer == "adam" else 16, 32) if loop == "fused" else (16,)
    for batch in batches:
        a, b = _train_pair(X, y, hidden_layer_sizes=(6, 3), activation=activation,
                           optimizer=optimizer, keep_prob=keep, l2=l2, batch_size=batch,
                           epochs=20, learning_rate=0.01)
        _assert_same_params(a, b, 1e-8)


@pytest.mark.parametrize("cls,y_kind", [(nn.DeepNeuralNetwork, "multi"),
                                        (nn.DeepNeuralNetworkRegressor, "real"),
                                        (nn.LogisticRegression, "binary")])
def test_training_matches_reference_for_every_output(training_path, cls, y_kind):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(70, 5))
    y = {"multi": rng.integers(0, 4, 70), "real": X @ rng.normal(size=5),
         "binary": (X[:, 0] > 0).astype(int)}[y_kind]
    kw = dict(epochs=20, batch_size=16, learning_rate=0.01)
    if cls is not nn.LogisticRegression:
        kw.update(hidden_layer_sizes=(9,), keep_prob=0.9, l2=0.1)
    a, b = _train_pair(X, y, cls, **kw)
    _assert_same_params(a, b, 1e-8)


@pytest.mark.parametrize("l2,keep,hidden", [(0.0, 1.0, (6, 3)), (0.7, 0.8, (6, 3)), (0.3, 1.0, ())])
def test_gram_path_matches_reference(l2, keep, hidden):
    rng = np.random.default_rng(8)
    X, y = rng.random((30, 200)), (rng.random(30) > 0.5).astype(int)
    kw = dict(hidden_layer_sizes=hidden, optimizer="gd", batch_size=None, learning_rate=0.05,
              epochs=40, l2=l2, keep_prob=keep if hidden else 1.0)
    spec = NetSpec((200,) + hidden + (1,))
    assert engine._gram_pays(spec, OptSpec("gd"), 30, 30, 40)
    a, b = _train_pair(X, y, **kw)
    _assert_same_params(a, b, 1e-8)


@pytest.mark.parametrize("layer_path", ["serial-loops", "parallel-blas"])
@pytest.mark.parametrize("optimizer", ["adam", "gd"])
def test_static_full_batch_reads_the_data_set_in_place(monkeypatch, layer_path, optimizer):
    """A full batch in the data set's own order trains from X itself, through the layer
    kernels and (for gd with more features than examples) the Gram path: equal to the
    reference, and without a mini-batch buffer the size of the data set."""
    _force(monkeypatch, layer_path)
    rng = np.random.default_rng(11)
    X = rng.random((30, 200))
    y = (rng.random(30) > 0.5).astype(int)
    a, b = _train_pair(X, y, hidden_layer_sizes=(6, 3), optimizer=optimizer, batch_size=None,
                       shuffle=False, learning_rate=0.05, epochs=20, l2=0.2)
    _assert_same_params(a, b, 1e-8)
    spec = NetSpec((200, 6, 3, 1), l2=0.2)
    theta = rng.normal(size=spec.n_params) * 0.1
    states = (np.zeros_like(theta), np.zeros_like(theta))
    trainer = cpu.make_trainer(theta, states, X, np.ones((30, 1)), spec, OptSpec(optimizer),
                               30, 1)
    trainer.run(np.arange(30)[None, :].repeat(3, axis=0), [0.05] * 3)
    assert trainer.extra["ws"]._X0 is None
    trainer.run(np.random.default_rng(0).permutation(30)[None, :], [0.05])
    assert trainer.extra["ws"]._X0 is not None


@pytest.mark.parametrize("loop", ["fused", "serial-loops", "parallel-loops"])
def test_float32_training_tracks_reference(monkeypatch, loop):
    _force(monkeypatch, loop)
    dtype = "float32"
    rng = np.random.default_rng(9)
    X = rng.normal(size=(90, 6)).astype(np.float32)
    y = (X[:, 0] > X[:, 1]).astype(int)
    a, b = _train_pair(X, y, hidden_layer_sizes=(8, 4), optimizer="adam", keep_prob=0.9,
                       epochs=20, batch_size=16, learning_rate=0.01, dtype=dtype)
    assert b.params_[0][0].dtype == np.float32
    _assert_same_params(a, b, 1e-4)


def test_threads_restored():
    before = numba.get_num_threads()
    with cpu.num_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=2, backend="numba", n_threads=1).fit(X, y)
    assert numba.get_num_threads() == before


def test_fastmath_lives_in_config_without_nnan_ninf():
    assert not {"nnan", "ninf", "fast"} & set(config.FASTMATH)
    for path in pathlib.Path(kernels.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "fastmath":
                assert path.name == "_jit.py", f"fastmath= set outside config in {path}"


def test_every_kernel_caches_and_nothing_compiles_at_import():
    code = ("import kernels.cpu, kernels.cpu.layers as L, kernels.cpu.updates as U, "
            "kernels.cpu.network as N, kernels.cpu.small as S, kernels.cpu.elementary as E\n"
            "from numba.core.registry import CPUDispatcher\n"
            "ds = [o for m in (L, U, N, S, E) for o in vars(m).values()\n"
            "      if isinstance(o, CPUDispatcher)] + [f for p in S.FUSED.values() for f in p]\n"
            "assert len(ds) > 20, len(ds)\n"
            "assert all(not d.signatures for d in ds), 'compiled at import'\n"
            "assert all(type(d._cache).__name__ != 'NullCache' for d in ds), 'cache=False'\n"
            "print('ok', len(ds))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stderr


def test_warmup_compiles_everything_later_fits_use():
    """In a fresh process (compiled code comes from the cache when earlier tests filled it):
    after the warm-up, fits through both training loops, with validation data, L2 and
    dropout, and their predictions and costs, compile nothing more."""
    code = ("import numpy as np, nn\n"
            "from numba.core.registry import CPUDispatcher\n"
            "from kernels.cpu import elementary, layers, network, small, updates\n"
            "nn.warmup(backend='numba', dtype='float32')\n"
            "assert all(loop.signatures for _, loop in small.FUSED.values()), 'fused loop'\n"
            "assert layers.forward_epilogues.signatures, 'layer loop'\n"
            "assert layers.gradient_epilogues.signatures and layers.backward_epilogues.signatures\n"
            "ds = {f'{m.__name__}.{k}': d for m in (elementary, layers, network, small, updates)\n"
            "      for k, d in vars(m).items() if isinstance(d, CPUDispatcher)}\n"
            "ds.update((f.py_func.__qualname__, f) for p in small.FUSED.values() for f in p)\n"
            "before = {k: len(d.signatures) for k, d in ds.items()}\n"
            "rng = np.random.default_rng(0)\n"
            "X = rng.normal(size=(300, 40))\n"
            "y = X[:, :3].argmax(axis=1)\n"
            "for hidden in [(4,), (200, 100)]:\n"
            "    net = nn.DeepNeuralNetwork(hidden_layer_sizes=hidden, optimizer='adam', l2=0.1,\n"
            "        keep_prob=0.8, batch_size=64, epochs=2, dtype='float32', backend='numba')\n"
            "    net.fit(X[:250], y[:250], X[250:], y[250:])\n"
            "    net.predict(X), net.cost(X, y)\n"
            "new = [k for k, d in ds.items() if len(d.signatures) > before[k]]\n"
            "assert not new, f'compiled after the warm-up: {new}'\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stderr


def test_warmup_compiles_in_a_second_process_where_that_can_help(monkeypatch):
    import multiprocessing
    from types import SimpleNamespace
    monkeypatch.setattr(config, "COMPILE_HELPERS", True)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert engine._compile_elsewhere("c._warm('float64', True)") is None
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(multiprocessing, "current_process", lambda: SimpleNamespace(daemon=True))
    assert engine._compile_elsewhere("c._warm('float64', True)") is None  # a Dask worker's cores
    monkeypatch.undo()
    monkeypatch.setattr(config, "COMPILE_HELPERS", False)
    assert engine._compile_elsewhere("c._warm('float64', True)") is None
    monkeypatch.setattr(config, "COMPILE_HELPERS", True)
    helper = engine._compile_elsewhere("c._warm('float32', True)")  # finds this package
    assert helper is not None and helper.wait(timeout=600) == 0


def test_first_fused_fit_steps_from_python_while_a_second_process_compiles_the_loop():
    """With an empty cache, a first fused fit steps from Python while a helper process
    compiles the training loop into the cache; once the helper has exited, the next fit
    loads the loop from there, and a later process loads it with no helper."""
    code = ("import numpy as np, nn, kernels.cpu.engine as c\n"
            "from kernels.cpu import small\n"
            "from kernels.spec import SIGMOID\n"
            "X, y, kw = nn.workloads.workload('W1')\n"
            "loop = small.FUSED[SIGMOID][1]\n"
            "fit = lambda: nn.DeepNeuralNetwork(backend='numba', **dict(kw, epochs=2)).fit(X, y)\n"
            "first = fit().params_[0][0]\n"
            "helpers = [h for h in c._LOOP_HELPERS.values() if h is not None]\n"
            "loop_in_first_fit = len(loop.signatures)\n"
            "assert c._wait_for_compiles(600) == len(helpers)\n"
            "assert all(h.returncode == 0 for h in helpers)\n"
            "assert np.array_equal(fit().params_[0][0], first)\n"
            "assert loop.signatures and not loop.stats.cache_misses, loop.stats\n"
            "print(len(helpers), loop_in_first_fit)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, NN_COMPILE_HELPERS="1")
        runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env=env) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr[-3000:] + runs[1].stderr
    assert [r.stdout.split()[-2:] for r in runs] == [["1", "0"], ["0", "1"]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_python_steps_equal_the_compiled_fused_loop(dtype):
    """`small.train_steps` runs the compiled loop's steps from Python: same parameters bit
    for bit, with dropout, L2, adam, shuffled mini-batches and a short last one."""
    from kernels.cpu import small
    rng = np.random.default_rng(5)
    spec = NetSpec((3, 6, 4, 1), "tanh", "sigmoid", keep_probs=(1.0, 0.7, 0.9, 1.0), l2=0.3)
    X = rng.normal(size=(45, 3)).astype(dtype)
    Y = with_weight_row((rng.random((45, 1)) > 0.5).astype(dtype), samples_first=True)
    perms = np.stack([rng.permutation(45) for _ in range(3)])
    theta0 = (rng.normal(size=spec.n_params) * 0.5).astype(dtype)
    out = []
    for run in ("loop", "steps"):
        theta, v, s = theta0.copy(), np.zeros_like(theta0), np.zeros_like(theta0)
        ws = Workspace(spec.sizes, 16, theta.dtype, spec.n_params)
        stack, Yb = ws.stacked(spec.sizes)
        losses = np.zeros(3)
        args = (theta, v, s, X, Y, perms, np.array([0.05, 0.04, 0.03]), spec.compiled(),
                OptSpec("adam").compiled(), 16, np.uint64(9), 0, stack, Yb, ws.grad,
                ws.hp, losses, False, False)
        forward_cost, loop = small.FUSED[SIGMOID]
        steps = loop(*args) if run == "loop" else small.train_steps(*args, forward_cost)
        out.append((theta, losses, steps))
    (a, la, sa), (b, lb, sb) = out
    assert sa == sb == 9 and np.array_equal(a, b)
    np.testing.assert_allclose(la, lb, rtol=1e-12)


#: Compiled specializations behind a first fit and predict of W1 (float64, through the
#: fused loop). Each one costs compile time on a machine's first run: this bound keeps the
#: count from growing back.
FIRST_FIT_SPECIALIZATIONS = 19


def test_first_fit_compiles_few_specializations_and_no_literal_ones():
    """With an empty cache, a small network's first fit and predict compile only the fused
    code, none of it for a literal argument (a True or 0 passed between compiled functions
    compiles a copy of the callee for that value; an omitted default, another), and at most
    FIRST_FIT_SPECIALIZATIONS specializations."""
    code = ("import numpy as np, nn\n"
            "from numba.core import types\n"
            "from numba.core.registry import CPUDispatcher\n"
            "from kernels.cpu import elementary, layers, network, small, updates\n"
            "X, y, kw = nn.workloads.workload('W1')\n"
            "nn.DeepNeuralNetwork(backend='numba', **dict(kw, epochs=2)).fit(X, y).predict(X)\n"
            "ds = {id(d): (k, d) for m in (elementary, layers, network, small, updates)\n"
            "      for k, d in vars(m).items() if isinstance(d, CPUDispatcher)}\n"
            "ds.update((id(f), (f.py_func.__qualname__, f))\n"
            "          for p in small.FUSED.values() for f in p)\n"
            "sigs = [(k, s) for k, d in ds.values() for s in d.signatures]\n"
            "bad = [(k, s) for k, s in sigs\n"
            "       if any(isinstance(t, (types.Literal, types.Omitted)) for t in s)]\n"
            "assert not bad, bad\n"
            "assert not layers.forward_epilogues.signatures, 'layer loop'\n"
            "print(len(sigs))\n"
            "import kernels.cpu.engine as c\n"
            "for helper in filter(None, c._LOOP_HELPERS.values()):\n"
            "    helper.kill()  # before its cache folder goes\n")
    with tempfile.TemporaryDirectory() as cache:  # a user's first fit: helpers on
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=dict(os.environ, NUMBA_CACHE_DIR=cache, NN_COMPILE_HELPERS="1"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert 0 < int(out.stdout) <= FIRST_FIT_SPECIALIZATIONS


def test_gram_path_across_calls_reuses_g_and_batch():
    """Two calls on one workspace (G and the gathered batch kept) equal one call of both."""
    from kernels.cpu.network import Workspace
    rng = np.random.default_rng(10)
    spec = NetSpec((120, 5, 1), "relu", "sigmoid", l2=0.4)
    X, Y = rng.random((20, 120)), (rng.random((20, 1)) > 0.5) * 1.0
    theta0 = rng.normal(size=spec.n_params) * 0.1
    perms = np.broadcast_to(np.arange(20), (12, 20))
    lrs = np.full(12, 0.05)
    assert engine._gram_pays(spec, OptSpec("gd"), 20, 20, 6, have_G=True)
    whole = theta0.copy()
    ref.train_epochs(whole, (), X, Y, perms, lrs, spec, OptSpec("gd"), 20, 1, 0)
    split = theta0.copy()
    ws = Workspace(spec.sizes, 20, np.float64, spec.n_params)
    Yw = with_weight_row(Y, samples_first=True)  # the private loop's layout
    first = engine._train_epochs(split, (), X, Yw, perms[:6], lrs[:6], spec, OptSpec("gd"), 20, 1,
                              0, ws)
    assert ws.gram_ready and ws.batch_ready == "flat"
    second = engine._train_epochs(split, (), X, Yw, perms[6:], lrs[6:], spec, OptSpec("gd"), 20,
                               1, 6, ws)
    np.testing.assert_allclose(split, whole, rtol=1e-10, atol=1e-13)
    assert np.all(np.isfinite(np.concatenate([first, second])))


def test_fused_loop_then_gram_path_on_one_workspace(monkeypatch):
    """A fit's first one-epoch call, where the Gram path does not pay, runs the fused loop,
    which gathers the static batch into its own buffers; the Gram path after it must
    gather again instead of trusting the other layout's buffer."""
    from kernels.cpu.network import Workspace
    _force(monkeypatch, "fused")
    rng = np.random.default_rng(12)
    spec = NetSpec((200, 6, 3, 1), "relu", "sigmoid")
    X, Y = rng.random((30, 200)), (rng.random((30, 1)) > 0.5) * 1.0
    theta0 = rng.normal(size=spec.n_params) * 0.1
    perms = np.broadcast_to(np.arange(30), (12, 30))
    lrs = np.full(12, 0.05)
    assert not engine._gram_pays(spec, OptSpec("gd"), 30, 30, 1)
    assert engine._gram_pays(spec, OptSpec("gd"), 30, 30, 11)
    whole = theta0.copy()
    ref.train_epochs(whole, (), X, Y, perms, lrs, spec, OptSpec("gd"), 30, 1, 0)
    split = theta0.copy()
    ws = Workspace(spec.sizes, 30, np.float64, spec.n_params)
    Yw = with_weight_row(Y, samples_first=True)  # the private loop's layout
    engine._train_epochs(split, (), X, Yw, perms[:1], lrs[:1], spec, OptSpec("gd"), 30, 1, 0, ws)
    assert ws.batch_ready == "stacked" and not ws.gram_ready
    engine._train_epochs(split, (), X, Yw, perms[1:], lrs[1:], spec, OptSpec("gd"), 30, 1, 1, ws)
    assert ws.gram_ready
    np.testing.assert_allclose(split, whole, rtol=1e-10, atol=1e-13)


def _elementwise(fn, x):
    """fn(x[j]) for every j, in a loop compiled with the backend's fast-math flags."""
    @numba.njit(fastmath=set(config.FASTMATH), error_model=config.ERROR_MODEL)
    def loop(x, out):
        for j in range(x.size):
            out[j] = fn(x[j])
    out = np.empty_like(x)
    loop(x, out)
    return out


def _ulps(got, want):
    return np.abs(got - want) / np.spacing(np.abs(want))


def test_exp_and_log1p_within_two_ulps_of_libm():
    """The vectorizable exp and log1p of the fused loop against libm (Python's math)."""
    import math

    from kernels.cpu.elementary import SQRT2_M1, exp_nonpositive, log1p_unit
    rng = np.random.default_rng(11)
    tiny = np.finfo(np.float64).tiny
    x = -np.concatenate([rng.random(20000) * 50, rng.random(20000) * 760,
                         [0.0, 1e-300, 5e-324, 708.4, 709.8, 744.4, 745.1, 745.2, 746, 1e4,
                          np.inf]])
    e = np.concatenate([rng.random(20000), np.exp(-rng.random(20000) * 50),
                        [0.0, 5e-324, 1e-300, SQRT2_M1, np.nextafter(SQRT2_M1, 1), 1.0]])
    exp_got, log_got = _elementwise(exp_nonpositive, x), _elementwise(log1p_unit, e)
    exp_want = np.array([math.exp(v) for v in x])
    normal = exp_want >= tiny
    assert _ulps(exp_got, exp_want)[normal].max() <= 2
    assert np.abs(exp_got - exp_want)[~normal].max() <= 2 * 5e-324
    log_want = np.array([math.log1p(v) for v in e])
    pos = log_want > 0
    assert _ulps(log_got, log_want)[pos].max() <= 2
    assert np.all(log_got[~pos] == 0)
    nan = np.array([np.nan])
    assert np.isnan(_elementwise(exp_nonpositive, nan)[0])
    assert np.isnan(_elementwise(log1p_unit, nan)[0])


def test_expm1_and_tanh_within_four_ulps_of_libm():
    """The vectorizable expm1 and tanh that the layer kernels' tanh runs on, against libm,
    across the switch between expm1's series and e**x - 1 and out to where tanh is 1."""
    import math

    from kernels.cpu.elementary import EXPM1_SERIES_FROM, expm1_nonpositive, tanh
    rng = np.random.default_rng(12)
    switch = -EXPM1_SERIES_FROM
    x = -np.concatenate([rng.random(20000) * 2, rng.random(20000) * 800,
                         10.0 ** -rng.uniform(0, 300, 5000),
                         [0.0, 5e-324, switch, np.nextafter(switch, 0), np.nextafter(switch, 2),
                          np.inf]])
    z = np.concatenate([rng.normal(size=20000) * s for s in (1e-9, 0.3, 2, 20)]
                       + [x, -x, [0.5, -0.5, 19.06, -19.06]])
    for fn, libm, arg in ((expm1_nonpositive, math.expm1, x), (tanh, math.tanh, z)):
        assert _ulps(_elementwise(fn, arg), np.array([libm(v) for v in arg])).max() <= 4
        assert np.isnan(_elementwise(fn, np.array([np.nan]))[0])


def test_float32_exp_and_tanh_compute_in_float32_within_four_ulps():
    """float32 arguments run the float32 versions (shorter polynomials, twice the vector
    lanes), accurate to float32's own ulps against libm, subnormals and limits included."""
    import math

    from kernels.cpu import elementary as E
    rng = np.random.default_rng(13)
    f32 = np.float32
    switch = -E.EXPM1_SERIES_FROM
    x = -np.concatenate([rng.random(20000) * 2, rng.random(20000) * 120,
                         10.0 ** -rng.uniform(0, 40, 5000),
                         [0.0, 1e-45, switch, 87.3, 88.0, 103.2, 103.9, 104.0, 104.5, 200.0,
                          np.inf]]).astype(f32)
    z = np.concatenate([rng.normal(size=20000) * s for s in (1e-6, 0.3, 2, 10)]
                       + [x, -x, [0.375, -0.375, 9.1, -9.1]]).astype(f32)
    tiny = np.finfo(f32).tiny
    for fn, libm, arg in ((E.exp_nonpositive, math.exp, x), (E.tanh, math.tanh, z)):
        got = _elementwise(fn, arg)
        want = np.array([libm(float(v)) for v in arg])
        normal = np.abs(want) >= tiny
        ulps = np.abs(got - want)[normal] / np.spacing(np.abs(want[normal]).astype(f32))
        assert got.dtype == f32 and ulps.max() <= 4, ulps.max()
        assert np.abs(got - want)[~normal].max() <= 2 * 1.4e-45
        assert np.isnan(_elementwise(fn, np.array([np.nan], f32))[0])
    assert E.exp_nonpositive32.signatures and E.tanh32.signatures


@numba.njit
def _gemm_all(A, B, C_nn, C_tn, C_nt, C_tt):
    gemm(A, False, B, False, C_nn)
    gemm(A.T.copy(), True, B, False, C_tn)
    gemm(A, False, B.T.copy(), True, C_nt)
    gemm(A.T.copy(), True, B.T.copy(), True, C_tt)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m,k,n", [(5, 3, 4), (1, 1, 1), (3, 0, 2)])
def test_gemm_matches_numpy_in_every_transposition(dtype, m, k, n):
    """op(A) op(B) through BLAS from compiled code, against NumPy's matmul; an empty inner
    dimension gives zeros, and mismatched shapes a ValueError."""
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    A, B = rng.normal(size=(m, k)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)
    outs = [np.full((m, n), np.nan, dtype) for _ in range(4)]
    _gemm_all(A, B, *outs)
    for C in outs:
        np.testing.assert_allclose(C, A @ B, **TOL[dtype])
    with pytest.raises(ValueError, match="shapes do not match"):
        _gemm_all(A, B, np.empty((m + 1, n), dtype), *outs[1:])
