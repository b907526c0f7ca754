"""The CUDA backend against the NumPy reference.

Here (no GPU) these run in Numba's CUDA simulator with blocks of 4x4 threads that compute
2x2 product elements each, 8 threads per 1-D block and at most 2 blocks per grid
dimension, so the multi-block and grid-stride paths run on small
shapes. With NN_TEST_REAL_GPU=1 on a machine with a GPU the same tests run on the device,
plus the `gpu`-marked ones. Tolerances: ops 1e-12 (float64) and 1e-5 (float32), trainings
1e-8 after their epochs, dropout masks bit for bit.
"""
import collections

import numpy as np
import pytest

from kernels.spec import OPTIMIZERS
from tests.conftest import HAS_NUMBA_CUDA, REAL_GPU, assert_refit_refused_leaves_model

pytestmark = pytest.mark.skipif(not HAS_NUMBA_CUDA, reason="numba-cuda is not installed")

if HAS_NUMBA_CUDA:
    import nn
    from kernels import reference as ref
    from kernels.spec import NetSpec, OptSpec

TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


@pytest.fixture(autouse=True)
def small_launches(monkeypatch_cuda):
    """Every test here runs with conftest's small CUDA launches."""


@pytest.fixture
def gpu():
    import kernels.cuda as gpu
    return gpu


# (n, k, m): within one tile, across several tiles here (more than CUDA_MAX_BLOCKS, so the
# grid-stride loops run too), and across several on a real GPU
SHAPES = [(5, 9, 11), (9, 13, 10)] + ([(130, 70, 200)] if REAL_GPU else [])


@pytest.mark.parametrize("products", ["register-blocked", "one element per thread"])
@pytest.mark.parametrize("n,k,m", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_ops(gpu, monkeypatch, dtype, n, k, m, products):
    from kernels import config
    monkeypatch.setattr(config, "CUDA_REG_MIN_TILES_PER_SM",
                        0 if products == "register-blocked" else float("inf"))
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(n, k)).astype(dtype), rng.normal(size=n).astype(dtype)
    A_prev, dZ = rng.normal(size=(k, m)).astype(dtype), rng.normal(size=(n, m)).astype(dtype)
    for act in ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"]:
        for got, want in zip(gpu.linear_forward(W, b, A_prev, act, 0.1),
                             ref.linear_forward(W, b, A_prev, act, 0.1)):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, **TOL[dtype])
    for got, want in zip(gpu.linear_backward(dZ, A_prev, W, 0.3),
                         ref.linear_backward(dZ, A_prev, W, 0.3)):
        np.testing.assert_allclose(got, want, **TOL[dtype])


def test_elementwise_ops_and_costs(gpu):
    rng = np.random.default_rng(1)
    Z, dA = rng.normal(size=(4, 19)) * 3, rng.normal(size=(4, 19))
    for act in ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"]:
        np.testing.assert_allclose(gpu.activation_forward(Z, act, 0.2),
                                   ref.activation_forward(Z, act, 0.2), **TOL[np.float64])
    for act in ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]:
        np.testing.assert_allclose(gpu.activation_backward(dA, Z, act, 0.2),
                                   ref.activation_backward(dA, Z, act, 0.2), **TOL[np.float64])
    Y = rng.random((4, 19))
    np.testing.assert_allclose(gpu.output_delta(Z, Y), ref.output_delta(Z, Y))
    Y1 = (rng.random((1, 19)) > 0.5) * 1.0
    Yc = np.eye(4)[:, rng.integers(0, 4, 19)]
    for name, ZL, YL in [("binary_cross_entropy", Z[:1], Y1),
                         ("categorical_cross_entropy", Z, Yc), ("mean_squared_error", Z, Y)]:
        assert getattr(gpu, name)(ZL, YL, [Z, dA], 0.4) == pytest.approx(
            getattr(ref, name)(ZL, YL, [Z, dA], 0.4), rel=1e-12)
    for got, want in zip(gpu.standardize_fit(Z), ref.standardize_fit(Z)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    mean, std = ref.standardize_fit(Z)
    np.testing.assert_allclose(gpu.standardize(Z, mean, std), ref.standardize(Z, mean, std),
                               rtol=1e-12, atol=1e-12)


def test_dropout_masks_bit_for_bit(gpu):
    for shape, keep in [((3, 17), 0.5), ((1, 1), 0.9), ((6, 5), 0.8)]:
        D = gpu.dropout_mask(2 ** 63 + 5, 9, 2, shape, keep)
        np.testing.assert_array_equal(D, ref.dropout_mask(2 ** 63 + 5, 9, 2, shape, keep))
        A = np.random.default_rng(2).normal(size=shape)
        np.testing.assert_allclose(gpu.dropout_forward(A, D, keep), ref.dropout_forward(A, D, keep),
                                   rtol=1e-15)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_updates(gpu, name):
    rng = np.random.default_rng(3)
    opt = OptSpec(name, beta=0.8, beta1=0.85, beta2=0.97, epsilon=1e-7)
    theta, grad = rng.normal(size=37), rng.normal(size=37)
    states = tuple(rng.random(37) for _ in range(opt.n_states))
    a = [theta.copy(), *[s.copy() for s in states]]
    b = [theta.copy(), *[s.copy() for s in states]]
    gpu.optimizer_update(a[0], grad, tuple(a[1:]), 0.01, 4, opt)
    ref.optimizer_update(b[0], grad, tuple(b[1:]), 0.01, 4, opt)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-13)


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_network_functions(gpu, output):
    rng = np.random.default_rng(4)
    n_out = 1 if output == "sigmoid" else 3
    spec = NetSpec((5, 6, n_out), "tanh", output, l2=0.2, keep_probs=(1, 0.7, 1))
    theta, X = rng.normal(size=spec.n_params), rng.normal(size=(5, 10))
    Y = np.eye(3)[:, rng.integers(0, 3, 10)] if output == "softmax" else rng.random((n_out, 10))
    np.testing.assert_allclose(gpu.network_output(theta, X, spec),
                               ref.network_output(theta, X, spec), rtol=1e-12)
    assert gpu.network_cost(theta, X, Y, spec) == pytest.approx(
        ref.network_cost(theta, X, Y, spec), rel=1e-12)
    c1, g1 = gpu.cost_and_gradients(theta, X, Y, spec, 11, 2)
    c2, g2 = ref.cost_and_gradients(theta, X, Y, spec, 11, 2)
    assert c1 == pytest.approx(c2, rel=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cls,kw,y_kind", [
    ("DeepNeuralNetwork", dict(activation="relu", optimizer="adam", keep_prob=0.8, l2=0.1), "binary"),
    ("DeepNeuralNetwork", dict(activation="tanh", optimizer="momentum"), "multi"),
    ("DeepNeuralNetworkRegressor", dict(activation="leaky_relu", optimizer="rmsprop"), "real"),
    ("DeepNeuralNetwork", dict(activation="sigmoid", optimizer="nesterov", l2=0.2), "binary"),
])
@pytest.mark.parametrize("loop", ["fused", "layers"])
def test_training_matches_reference(monkeypatch, loop, cls, kw, y_kind):
    """Through the one-launch loop of small networks and through the layer kernels."""
    from kernels import config
    monkeypatch.setattr(config, "CUDA_FUSED_MAX_WORK", 1 << 62 if loop == "fused" else 0)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(21, 3))
    y = {"binary": (X[:, 0] > 0).astype(int), "multi": rng.integers(0, 3, 21),
         "real": X @ [1.0, -2.0, 0.5]}[y_kind]
    params = dict(hidden_layer_sizes=(5,), epochs=3, batch_size=8, learning_rate=0.01,
                  random_state=7, **kw)
    a = getattr(nn, cls)(backend="numpy", **params).fit(X, y)
    b = getattr(nn, cls)(backend="cuda", **params).fit(X, y)
    for (Wa, ba), (Wb, bb) in zip(a.params_, b.params_):
        np.testing.assert_allclose(Wb, Wa, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(bb, ba, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b.history_["loss"], a.history_["loss"], rtol=1e-10)
    np.testing.assert_allclose(b.predict(X) if y_kind == "real" else b.predict_proba(X),
                               a.predict(X) if y_kind == "real" else a.predict_proba(X),
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("loop", ["fused", "layers"])
def test_float32_training_tracks_reference(monkeypatch, loop):
    from kernels import config
    monkeypatch.setattr(config, "CUDA_FUSED_MAX_WORK", 1 << 62 if loop == "fused" else 0)
    rng = np.random.default_rng(10)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    params = dict(hidden_layer_sizes=(5, 3), epochs=2, batch_size=8, learning_rate=0.01,
                  random_state=7, optimizer="adam", keep_prob=0.8, dtype="float32")
    a = nn.DeepNeuralNetwork(backend="numpy", **params).fit(X, X[:, 0] > 0)
    b = nn.DeepNeuralNetwork(backend="cuda", **params).fit(X, X[:, 0] > 0)
    for (Wa, ba), (Wb, bb) in zip(a.params_, b.params_):
        assert Wb.dtype == np.float32
        np.testing.assert_allclose(Wb, Wa, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bb, ba, rtol=1e-5, atol=1e-6)


def test_streamed_batches_match_resident(gpu, monkeypatch):
    from kernels import config
    monkeypatch.setattr(config, "CUDA_FUSED_MAX_WORK", 0)  # streaming runs the layer kernels
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(13, 3)), (rng.random((13, 1)) > 0.5) * 1.0
    spec = NetSpec((3, 4, 1), keep_probs=(1, 0.8, 1))
    theta = rng.normal(size=spec.n_params)
    perms = np.stack([rng.permutation(13) for _ in range(2)])
    results = []
    for resident in (True, False):
        trainer = gpu.make_trainer(theta.copy(), (theta * 0, theta * 0), X, Y, spec,
                                   OptSpec("adam"), 5, 3)
        if not resident:  # host copies of the trainer's own arrays (Y with its weights)
            trainer.resident, trainer.X, trainer.Y = False, X, trainer.Y.copy_to_host()
        results.append((trainer.run(perms, [0.01, 0.01]), trainer.get_theta()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("where", ["resident", "streamed", "validation split"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_data_is_refused(gpu, monkeypatch, where, bad):
    """The estimators leave the data check to the CUDA trainer: on the device for a
    resident data set, on the host when it is streamed, and on the host for an early-stopping
    split (which never reaches the device). Either way before the first epoch."""
    X, y = np.random.default_rng(2).normal(size=(40, 3)), np.arange(40) % 2
    make_trainer = gpu.make_trainer
    checked = []

    def streamed(theta, states, Xs, Y, *args, **kwargs):
        trainer = make_trainer(theta, states, Xs, Y, *args, **kwargs)
        trainer.resident, trainer.X, trainer.Y = False, Xs, trainer.Y.copy_to_host()
        return trainer

    from kernels.cuda import trainer as cuda_trainer
    DeviceTrainer = cuda_trainer.DeviceTrainer
    check_finite, run, runs = DeviceTrainer.check_finite, DeviceTrainer.run, []
    monkeypatch.setattr(DeviceTrainer, "check_finite",
                        lambda self: checked.append(1) or check_finite(self))
    monkeypatch.setattr(DeviceTrainer, "run", lambda self, *a: runs.append(1) or run(self, *a))
    host_checks, all_finite = [], cuda_trainer.all_finite
    monkeypatch.setattr(cuda_trainer, "all_finite",
                        lambda a: host_checks.append(1) or all_finite(a))
    if where == "streamed":
        monkeypatch.setattr(gpu, "make_trainer", streamed)
    params = dict(hidden_layer_sizes=(4,), epochs=2, random_state=0)
    if where == "validation split":
        params.update(early_stopping=True, validation_fraction=0.25)
    net = nn.DeepNeuralNetwork(backend="cuda", **params).fit(X, y)
    assert len(checked) == 1 and len(host_checks) == (where == "streamed") and runs
    runs.clear()
    # the bad value lands in the training rows, or in the validation rows of the split
    order = np.random.SeedSequence(0).spawn(4)[2]
    row = np.random.default_rng(order).permutation(40)[0] if where == "validation split" else 17
    bad_X = X.copy()
    bad_X[row, 1] = bad
    # a refit with other classes, refused after the device copy, keeps the fitted model
    assert_refit_refused_leaves_model(net, X, y, lambda n: n.fit(bad_X, y + 3),
                                      "X contains NaN or infinity")
    assert not runs  # refused before the first epoch
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        nn.DeepNeuralNetwork(backend="numpy", **params).fit(bad_X, y)


@pytest.mark.parametrize("loop", ["fused", "layers"])
def test_divergence_stops_where_numpy_stops(monkeypatch, loop):
    """Both training loops stop before the first step with a non-finite cost or gradient
    and keep the parameters the reference keeps."""
    from kernels import config
    monkeypatch.setattr(config, "CUDA_FUSED_MAX_WORK", 1 << 62 if loop == "fused" else 0)
    rng = np.random.default_rng(9)
    X = rng.normal(size=(12, 2)) * 1e3
    params = dict(hidden_layer_sizes=(3,), learning_rate=1e3, optimizer="gd", epochs=6,
                  batch_size=None, random_state=0)
    fits = []
    for backend in ("numpy", "cuda"):
        with pytest.warns(nn.TrainingDivergedWarning):
            fits.append(nn.DeepNeuralNetworkRegressor(backend=backend, **params).fit(
                X, X[:, 0] * 1e6))
    a, b = fits
    assert b.n_iter_ == a.n_iter_ < 6
    for (Wa, ba), (Wb, bb) in zip(a.params_, b.params_):
        np.testing.assert_allclose(Wb, Wa, rtol=1e-8)
        np.testing.assert_allclose(bb, ba, rtol=1e-8)


def test_warmup_runs_both_training_loops(gpu, monkeypatch):
    from kernels import config
    fused, runs = [], []
    from kernels.cuda.trainer import DeviceTrainer
    run_fused, run = DeviceTrainer._run_fused, DeviceTrainer.run
    monkeypatch.setattr(DeviceTrainer, "_run_fused",
                        lambda self, *a: fused.append(1) or run_fused(self, *a))
    monkeypatch.setattr(DeviceTrainer, "run", lambda self, *a: runs.append(1) or run(self, *a))
    regs = []
    from kernels.cuda import runtime
    product_kernels = runtime.product_kernels
    monkeypatch.setattr(runtime, "product_kernels",
                        lambda *a: regs.append(product_kernels(*a).reg) or product_kernels(*a))
    before = config.CUDA_FUSED_MAX_WORK, config.CUDA_REG_MIN_TILES_PER_SM
    gpu.warmup("float32")
    assert len(runs) == 3 * len(fused) > 0
    assert set(regs) == {1, config.CUDA_REG_TILE}
    assert (config.CUDA_FUSED_MAX_WORK, config.CUDA_REG_MIN_TILES_PER_SM) == before


def test_missing_gpu_message(monkeypatch):
    import kernels.cuda as gpu
    from numba import cuda
    monkeypatch.setattr(cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match='backend="numba".*NUMBA_ENABLE_CUDASIM'):
        nn.DeepNeuralNetwork(backend="cuda", epochs=1).fit(np.zeros((4, 2)), [0, 1, 0, 1])
    del gpu


def test_numpy_release_numba_cuda_cannot_handle(monkeypatch, tmp_path):
    """A NumPy that numba-cuda's NumPy support fails to load with (as numba-cuda 0.30 does
    with NumPy 2.5) gets an error naming both, before any kernel compiles."""
    from kernels.cuda import runtime
    (tmp_path / "numpy_typing_stub.py").write_text("import numpy\nnumpy.row_stack_gone\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(runtime, "NUMPY_TYPING", "numpy_typing_stub")
    monkeypatch.setattr(runtime, "simulated", lambda: False)
    with pytest.raises(RuntimeError, match=r"numba-cuda \S+ cannot compile kernels with NumPy "
                                           r".*row_stack_gone.*numpy<2\.5"):
        nn.DeepNeuralNetwork(backend="cuda", epochs=1).fit(np.zeros((4, 2)), [0, 1, 0, 1])
    monkeypatch.setattr(runtime, "NUMPY_TYPING", "no_such_module_here")
    runtime.check_numpy_typing()  # a numba-cuda without that module: nothing to check


@pytest.mark.gpu
@pytest.mark.skipif(not REAL_GPU, reason="needs a real GPU (NN_TEST_REAL_GPU=1)")
def test_graph_replays_equal_kernel_launches(gpu, monkeypatch):
    """Steps replayed from captured CUDA graphs give bit for bit what launching each kernel
    gives, across calls, a partial last batch, dropout and L2; the second call has more
    epochs than the first, so the per-call buffers grow and the graphs are captured again."""
    from kernels import config
    monkeypatch.setattr(config, "CUDA_FUSED_MAX_WORK", 0)
    rng = np.random.default_rng(11)
    X, Y = rng.normal(size=(50, 6)), (rng.random((50, 1)) > 0.5) * 1.0
    spec = NetSpec((6, 16, 8, 1), keep_probs=(1, 0.8, 0.9, 1), l2=0.05)
    theta = rng.normal(size=spec.n_params) * 0.3
    calls = [np.stack([rng.permutation(50) for _ in range(n)]) for n in (1, 3)]
    results = []
    for graphs in (True, False):
        trainer = gpu.make_trainer(theta.copy(), (theta * 0, theta * 0), X, Y, spec,
                                   OptSpec("adam"), 16, 3)
        trainer.use_graphs = graphs
        losses = [trainer.run(perms, [0.01] * len(perms)) for perms in calls]
        assert sorted(trainer._graphs) == ([(2, True), (16, True)] if graphs else [])
        results.append((np.concatenate(losses), trainer.get_theta(), trainer.get_states()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    for a, b in zip(results[0][2], results[1][2]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.gpu
@pytest.mark.skipif(not REAL_GPU, reason="needs a real GPU (NN_TEST_REAL_GPU=1)")
def test_ops_on_small_arrays_do_not_warn_of_small_grids(gpu):
    """Numba warns of every launch of fewer than 128 blocks; no op passes that on."""
    import warnings
    from numba.core.errors import NumbaPerformanceWarning
    rng = np.random.default_rng(4)
    W, A, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=3)
    Z, Y, theta = rng.normal(size=(3, 5)), (rng.random((3, 5)) > 0.5) * 1.0, rng.normal(size=7)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumbaPerformanceWarning)
        gpu.linear_forward(W, b, A, "relu")
        gpu.linear_backward(Z, A, W, l2=0.1)
        gpu.activation_forward(Z, "tanh")
        gpu.activation_backward(Z, Z, "sigmoid")
        gpu.output_delta(Z, Y)
        gpu.binary_cross_entropy(Z[:1], Y[:1], [W], 0.1)
        D = gpu.dropout_mask(1, 2, 3, Z.shape, 0.8)
        gpu.dropout_forward(Z, D, 0.8)
        gpu.adam_update(theta, theta * 0.1, theta * 0, theta * 0, 0.01, 1, 0.9, 0.999, 1e-8)
        mean, std = gpu.standardize_fit(A)
        gpu.standardize(A, mean, std)


@pytest.mark.gpu
@pytest.mark.skipif(not REAL_GPU, reason="needs a real GPU (NN_TEST_REAL_GPU=1)")
def test_w3_sized_training_on_the_gpu_tracks_numpy():
    rng = np.random.default_rng(8)
    X = rng.random((2048, 784), dtype=np.float32)
    y = (X[:, :10].sum(axis=1) > 5).astype(int)
    params = dict(hidden_layer_sizes=(512, 256), epochs=2, batch_size=256, dtype="float32",
                  learning_rate=1e-3, random_state=0)
    a = nn.DeepNeuralNetwork(backend="numpy", **params).fit(X, y)
    b = nn.DeepNeuralNetwork(backend="cuda", **params).fit(X, y)
    np.testing.assert_allclose(b.history_["loss"], a.history_["loss"], rtol=1e-3)
    assert np.mean(a.predict(X) == b.predict(X)) > 0.99


class _RecordLaunches:
    """A kernel that records the Numba types of each launch's arguments, then launches."""

    def __init__(self, kernel, key, record):
        self.kernel, self.key, self.record = kernel, key, record

    def __getitem__(self, launch_config):
        import numba
        launch = self.kernel[launch_config]

        def run(*args):
            self.record[self.key].add(tuple(numba.typeof(a) for a in args))
            return launch(*args)
        return run


def test_launches_have_the_signatures_compiled_to_ptx(gpu, monkeypatch, request):
    """test_cuda_ptx compiles each kernel for `device.signatures`; this checks that every
    launch, of the ops, the estimators' training and the warm-up, passes exactly those types,
    so that no launch needs a specialisation that only a GPU would ever compile."""
    from kernels.cuda import device
    launched = collections.defaultdict(set)
    build = device.build

    def recording_build(dtype, *args):
        kernels = build(dtype, *args)
        for name in kernels.sources:
            setattr(kernels, name, _RecordLaunches(getattr(kernels, name), (name, dtype),
                                                   launched))
        return kernels

    monkeypatch.setattr(device, "build", recording_build)
    from kernels.cuda import runtime
    runtime.build.cache_clear()
    request.addfinalizer(runtime.build.cache_clear)
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        gpu.warmup(dtype)
        Z, Y = rng.normal(size=(3, 7)).astype(dtype), rng.random((3, 7)).astype(dtype)
        gpu.activation_forward(Z, "softmax")
        gpu.activation_backward(Y, Z, "tanh")
        gpu.linear_backward(Z, Y, Z[:, :3], 0.1)
        gpu.output_delta(Z, Y)
        gpu.mean_squared_error(Z, Y, [Z], 0.5)
        gpu.dropout_forward(Z, gpu.dropout_mask(1, 2, 3, Z.shape, 0.5, dtype), 0.5)
        gpu.adam_update(Z[0].copy(), Y[0], Y[1].copy(), Y[2].copy(), 0.1, 3, 0.9, 0.99, 1e-8)
        gpu.standardize(Z, *gpu.standardize_fit(Z))
        X, y = rng.normal(size=(12, 3)), np.arange(12) % 2
        nn.DeepNeuralNetworkRegressor(hidden_layer_sizes=(4,), epochs=1, batch_size=5,
                                      backend="cuda", dtype=np.dtype(dtype).name).fit(X, y)
    expected = {(name, np.dtype(dtype).name): sig for dtype in (np.float32, np.float64)
                for name, sig in device.signatures(dtype).items()}
    # the dropout mask and the standardizer always run in float64, whatever the data's dtype
    assert {name for name, _ in launched} == set(device.signatures(np.float64))
    for key, launches in launched.items():
        for types in launches:
            wrong = {i: (got, want) for i, (got, want) in enumerate(zip(types, expected[key]))
                     if got != want}
            assert len(types) == len(expected[key]) and not wrong, (key, wrong)
