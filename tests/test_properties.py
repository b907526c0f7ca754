"""Property tests (hypothesis): random shapes, hyperparameters and dtypes.

Profiles (tests/conftest.py): "ci" (the default, a few minutes in all) and "thorough"
(HYPOTHESIS_PROFILE=thorough, hundreds of examples per property).
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import nn
from kernels.spec import OPTIMIZERS
from tests.conftest import BACKENDS, HAS_NUMBA_CUDA

problems = st.fixed_dictionaries({
    "m": st.integers(1, 17),
    "n_features": st.integers(1, 4),
    "hidden": st.lists(st.integers(1, 5), min_size=0, max_size=2).map(tuple),
    "batch": st.one_of(st.none(), st.integers(1, 20)),
    "activation": st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu"]),
    "optimizer": st.sampled_from(OPTIMIZERS),
    "keep": st.sampled_from([1.0, 0.7]),
    "l2": st.sampled_from([0.0, 0.3]),
    "task": st.sampled_from(["binary", "multi", "regression"]),
    "seed": st.integers(0, 2 ** 32 - 1),
})


def build(p, backend, dtype="float64", epochs=3):
    rng = np.random.default_rng(p["seed"])
    X = rng.normal(size=(p["m"], p["n_features"]))
    if p["task"] == "binary":
        y = np.arange(p["m"]) % 2
    elif p["task"] == "multi":
        y = np.arange(p["m"]) % 3
    else:
        y = rng.normal(size=p["m"])
    cls = nn.DeepNeuralNetworkRegressor if p["task"] == "regression" else nn.DeepNeuralNetwork
    model = cls(hidden_layer_sizes=p["hidden"], activation=p["activation"],
                optimizer=p["optimizer"], keep_prob=p["keep"] if p["hidden"] else 1.0,
                l2=p["l2"], batch_size=p["batch"], epochs=epochs, learning_rate=0.01,
                backend=backend, dtype=dtype, random_state=p["seed"] % 1000)
    return model, X, y


def valid(p):
    return p["task"] == "regression" or p["m"] >= (2 if p["task"] == "binary" else 3)


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba backend not available")
@given(problems, st.sampled_from(["float64", "float32"]))
def test_numba_equals_reference(p, dtype):
    if not valid(p):
        return
    a, X, y = build(p, "numpy", dtype)
    b, _, _ = build(p, "numba", dtype)
    a.fit(X, y)
    b.fit(X, y)
    tol = 1e-8 if dtype == "float64" else 1e-4
    for (Wa, ba), (Wb, bb) in zip(a.params_, b.params_):
        np.testing.assert_allclose(Wb, Wa, rtol=tol, atol=tol)
        np.testing.assert_allclose(bb, ba, rtol=tol, atol=tol)


@given(problems.filter(lambda p: p["activation"] in ("sigmoid", "tanh")),
       st.sampled_from(BACKENDS))
def test_gradient_check_below_threshold(p, backend):
    if not valid(p):
        return
    model, X, y = build(p, backend, epochs=1)
    model.fit(X, y)
    assert nn.gradient_check(model, X, y) < 1e-7


@given(st.fixed_dictionaries({
    "learning_rate": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers()),
    "epochs": st.one_of(st.integers(-2, 3), st.floats(0, 3)),
    "keep_prob": st.one_of(st.floats(-1, 2), st.lists(st.floats(0.1, 1), max_size=3)),
    "batch_size": st.one_of(st.none(), st.integers(-1, 50)),
    "hidden_layer_sizes": st.lists(st.integers(-1, 4), max_size=3).map(tuple),
    "l2": st.floats(-1, 1),
    "beta1": st.floats(-0.5, 1.5),
    "optimizer": st.sampled_from(["gd", "adam", "sgd", ""]),
    "lr_decay": st.sampled_from([None, "inverse", "staircase", "bogus"]),
}), st.sampled_from(BACKENDS))
def test_only_documented_exceptions(params, backend):
    X = np.random.default_rng(0).normal(size=(9, 2))
    y = np.arange(9) % 2
    model = nn.DeepNeuralNetwork(backend=backend, random_state=0, **params)
    try:
        with np.errstate(all="ignore"):
            model.fit(X, y)
    except (ValueError, TypeError):
        return
    assert model.predict(X).shape == (9,)  # also after a divergence warning
    assert all(np.all(np.isfinite(W)) for W, _ in model.params_)


@pytest.mark.skipif(not HAS_NUMBA_CUDA, reason="numba-cuda is not installed")
@given(problems.filter(lambda p: p["m"] <= 8 and sum(p["hidden"]) <= 6))
def test_cuda_equals_reference(monkeypatch_cuda, p):
    if not valid(p):
        return
    a, X, y = build(p, "numpy", epochs=1)
    b, _, _ = build(p, "cuda", epochs=1)
    a.fit(X, y)
    b.fit(X, y)
    for (Wa, _), (Wb, _) in zip(a.params_, b.params_):
        np.testing.assert_allclose(Wb, Wa, rtol=1e-8, atol=1e-10)
