import importlib.util
import os
from pathlib import Path

# CUDA tests run in Numba's simulator unless NN_TEST_REAL_GPU=1 asks for the real device.
# numba.cuda reads this when first imported, so it is set before anything imports it.
REAL_GPU = os.environ.get("NN_TEST_REAL_GPU") == "1"
if not REAL_GPU:
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
HAS_NUMBA_CUDA = importlib.util.find_spec("numba_cuda") is not None

import sys  # noqa: E402
import threading  # noqa: E402

import numpy as np  # noqa: E402
import pytest
from hypothesis import HealthCheck, settings

DATA_DIR = Path(os.environ.get("NN_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "datasets"))

#: Backends whose kernels can run here: numba when installed, cuda when a GPU or the simulator is there.
BACKENDS = ["numpy"]
if importlib.util.find_spec("numba") is not None and importlib.util.find_spec("kernels.cpu"):
    BACKENDS.append("numba")
    # Under pytest -n auto every core runs a test worker, so a first fit's background
    # compile (config.COMPILE_HELPERS) would take time from the other worker, here and in
    # the processes the tests start; the tests of that path turn it back on.
    os.environ["NN_COMPILE_HELPERS"] = "0"
    from kernels import config as _config
    _config.COMPILE_HELPERS = False


def data_file(name):
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"course data set {name} not found in {DATA_DIR}")
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def toy_classification(n=60, n_features=3, n_classes=2, seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, n_features))
    w = r.normal(size=(n_features, n_classes))
    y = (X @ w + 0.3 * r.normal(size=(n, n_classes))).argmax(axis=1)
    return X, y


def _simulate_cuda_quickly():
    """Two changes to numba-cuda's simulator, which runs each CUDA thread of a block as a
    Python thread while the launching thread polls them, holding the GIL between switches:

    - during a launch, a switch interval of 0.1 ms instead of Python's 5 ms, so that a
      block's threads pass each ``syncthreads`` in about that time rather than the polling
      thread's whole slice (the simulated CUDA tests ran several times faster, with the
      same results); other tests keep Python's interval;
    - ``cuda.shared.array`` under a lock: the simulator's own version looks up and stores a
      block's array unguarded, so that with quick switches two threads of a block could each
      create their own "shared" array (a race in the simulator, not in the kernels: the
      tests failed with it, at a 0.02 ms interval, and pass with the lock).
    """
    from numba.cuda.simulator import kernel, kernelapi
    lock = threading.Lock()
    simulated_array, simulated_call = kernelapi.FakeCUDAShared.array, kernel.FakeCUDAKernel.__call__

    def array(self, shape, dtype, alignment=None):
        if shape == 0 or alignment is not None:
            return simulated_array(self, shape, dtype, alignment)
        caller = sys._getframe(1)
        key = (caller.f_code.co_filename, caller.f_lineno)  # the simulator's own key
        if isinstance(dtype, kernelapi.types.Type):
            dtype = kernelapi.numpy_support.as_dtype(dtype)
        with lock:
            if key not in self._allocations:
                self._allocations[key] = np.empty(shape, dtype)
            return self._allocations[key]

    def launch(self, *args):
        if self._device:
            return simulated_call(self, *args)
        saved = sys.getswitchinterval()
        sys.setswitchinterval(1e-4)
        try:
            return simulated_call(self, *args)
        finally:
            sys.setswitchinterval(saved)

    kernelapi.FakeCUDAShared.array = array
    kernel.FakeCUDAKernel.__call__ = launch


if HAS_NUMBA_CUDA and not REAL_GPU:
    _simulate_cuda_quickly()


# Hypothesis profiles: "ci" keeps the property tests to a few minutes in all; "thorough"
# (HYPOTHESIS_PROFILE=thorough pytest tests/test_properties.py) searches much longer.
settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.filter_too_much])
settings.register_profile("thorough", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def monkeypatch_cuda(monkeypatch):
    """Small CUDA launches (as in test_cuda_backend) so simulated runs stay short."""
    from kernels import config
    if not REAL_GPU:
        monkeypatch.setattr(config, "CUDA_TILE", 4)
        monkeypatch.setattr(config, "CUDA_REG_TILE", 2)
        monkeypatch.setattr(config, "THREADS_PER_BLOCK", 8)
        monkeypatch.setattr(config, "CUDA_MAX_BLOCKS", 2)


def assert_refit_refused_leaves_model(net, X, y, refit, match):
    """`refit(net)` raises ValueError(match), and net still predicts X as before, with the
    same attributes."""
    before, pred = dict(vars(net)), net.predict(X)
    with pytest.raises(ValueError, match=match):
        refit(net)
    assert vars(net).keys() == before.keys()
    assert all(vars(net)[k] is v for k, v in before.items())
    np.testing.assert_array_equal(net.predict(X), pred)


def pytest_collection_modifyitems(config, items):
    """The asv smoke run last: its many fresh processes then load the kernels that the rest
    of the suite compiled into the shared Numba cache, instead of compiling them again."""
    items.sort(key=lambda item: item.path.name == "test_benchmarks.py")
