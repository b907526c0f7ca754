"""partial_fit (one epoch a call, continuing the model) and compact copies of fitted models."""
import copy
import pickle

import numpy as np
import pytest

import nn
from tests.conftest import BACKENDS, HAS_NUMBA_CUDA, toy_classification

ALL_BACKENDS = BACKENDS + (["cuda"] if HAS_NUMBA_CUDA else [])
# mini-batches, shuffling, dropout, Adam and a decaying learning rate: everything that
# partial_fit must carry from one call to the next
CONTINUED = dict(batch_size=16, keep_prob=0.8, optimizer="adam", learning_rate=0.01,
                 lr_decay="inverse", decay_rate=0.3, random_state=3)


@pytest.fixture
def small_cuda(monkeypatch_cuda):
    """Small launches for the simulator (conftest)."""


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("cls,n_classes", [(nn.DeepNeuralNetwork, 3),
                                           (nn.DeepNeuralNetworkRegressor, 0),
                                           (nn.LogisticRegression, 2)])
def test_k_calls_equal_a_fit_of_k_epochs(backend, cls, n_classes, small_cuda):
    X, y = toy_classification(n=70, n_classes=max(n_classes, 2))
    if n_classes == 0:
        y = X[:, 0] - X[:, 1]
    kw = dict(CONTINUED, backend=backend)
    if cls is nn.LogisticRegression:
        kw = dict(batch_size=16, optimizer="momentum", learning_rate=0.1, random_state=3,
                  backend=backend)
    else:
        kw["hidden_layer_sizes"] = (6, 4)
    fitted = cls(epochs=3, **kw).fit(X, y)
    streamed = cls(**kw)
    extra = {"classes": np.unique(y)} if n_classes else {}
    for k in range(1, 4):
        streamed.partial_fit(X, y, **extra)
        assert streamed.n_iter_ == k
    np.testing.assert_allclose(streamed._theta, fitted._theta, rtol=0, atol=1e-10)
    for got, want in zip(streamed._opt_states, fitted._opt_states):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert streamed._step == fitted._step
    np.testing.assert_allclose(streamed.history_["loss"], fitted.history_["loss"], atol=1e-10)


def test_partial_fit_continues_a_fit():
    X, y = toy_classification(n=50)
    whole = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=3, **CONTINUED).fit(X, y)
    part = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=2, **CONTINUED).fit(X, y)
    part.partial_fit(X, y)
    np.testing.assert_allclose(part._theta, whole._theta, rtol=0, atol=1e-12)


def test_classes_fix_the_output_layer_across_chunks():
    X, y = toy_classification(n=90, n_classes=3)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(5,), batch_size=8, random_state=0)
    first = y != 2  # a chunk without class 2
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        net.partial_fit(X[first], y[first])
    assert not hasattr(net, "params_")
    net.partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert net.classes_.tolist() == [0, 1, 2] and net.params_[-1][0].shape[0] == 3
    assert net.predict_proba(X).shape == (90, 3)
    net.partial_fit(X[~first], y[~first], classes=np.array([2, 1, 0]))  # same set, any order
    theta = net._theta.copy()
    with pytest.raises(ValueError, match=r"differs from the classes of the first call"):
        net.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels outside classes_ \[0, 1, 2\]: \[7\]"):
        net.partial_fit(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="X has 2 features, but DeepNeuralNetwork is expecting"
                                         " 3 features as input"):
        net.partial_fit(X[:, :2], y)
    with pytest.raises(ValueError, match="labels outside classes_"):
        nn.DeepNeuralNetwork().partial_fit(X, y, classes=[0, 1])
    assert np.array_equal(net._theta, theta) and net.n_iter_ == 2  # refused calls change nothing


def test_partial_fit_ignores_epochs_and_early_stopping():
    X, y = toy_classification(n=40)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=50, early_stopping=True,
                               random_state=0)
    net.partial_fit(X, y, classes=[0, 1])
    assert net.n_iter_ == 1 and len(net.history_["loss"]) == 1 and "val_loss" not in net.history_


def test_regressor_partial_fit_checks_target_dimensions():
    X, y = toy_classification(n=30)
    reg = nn.DeepNeuralNetworkRegressor(hidden_layer_sizes=(3,)).partial_fit(X, X[:, 0])
    with pytest.raises(ValueError, match="y has 2 dimensions, the model was fitted with 1"):
        reg.partial_fit(X, X[:, :2])


@pytest.mark.parametrize("optimizer,n_states", [("gd", 0), ("adam", 2)])
def test_copies_carry_theta_once(optimizer, n_states):
    X, y = toy_classification(n=200, n_features=20, n_classes=3)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(64, 32), optimizer=optimizer, epochs=2,
                               random_state=0).fit(X, y)
    blob = pickle.dumps(net)
    theta_bytes = net._theta.nbytes
    assert len(blob) < (1 + n_states) * theta_bytes + 8_000
    for twin in (pickle.loads(blob), copy.deepcopy(net)):
        assert np.array_equal(twin.predict_proba(X), net.predict_proba(X))
        assert all(np.shares_memory(W, twin._theta) for W, _ in twin.params_)
        twin.partial_fit(X, y)  # the optimizer state travelled too
    again = pickle.loads(blob).partial_fit(X, y)
    net.partial_fit(X, y)
    assert np.array_equal(again._theta, net._theta)


def test_iter_chunks_reads_a_file_block_by_block(tmp_path):
    """The blocks add up to the file, and reading them never holds much more than a block
    (numpy's allocations, traced; the file is 80 blocks)."""
    h5py = pytest.importorskip("h5py")
    import tracemalloc
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20_000, 50)), rng.integers(0, 2, 20_000)
    with h5py.File(tmp_path / "big.h5", "w") as f:
        f.create_dataset("X", data=X, chunks=(250, 50))
        f["y"] = y
    tracemalloc.start()
    blocks = []
    for X_block, y_block in nn.datasets.iter_chunks(tmp_path / "big.h5", 250):
        blocks.append((X_block[0].copy(), len(X_block), y_block.sum()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(blocks) == 80 and sum(n for _, n, _ in blocks) == 20_000
    assert peak < 4 * 250 * 50 * 8 < X.nbytes / 10  # a few blocks, not the file
    np.testing.assert_array_equal([b[0] for b in blocks], X[::250])
    assert sum(b[2] for b in blocks) == y.sum()
    with pytest.raises(ValueError, match="rows must be a positive integer"):
        next(nn.datasets.iter_chunks(tmp_path / "big.h5", 0))
    with pytest.raises(ValueError, match="has no data sets 'A' and 'y'"):
        next(nn.datasets.iter_chunks(tmp_path / "big.h5", 10, x="A"))
    with pytest.raises(FileNotFoundError):
        next(nn.datasets.iter_chunks(tmp_path / "missing.h5", 10))
