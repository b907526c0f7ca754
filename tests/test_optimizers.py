"""One step of each optimizer, with the arithmetic worked by hand."""
import math

import numpy as np
import pytest

import kernels
from kernels.spec import OptSpec
from tests import naive
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def ops(request):
    return kernels.get_backend(request.param)


def test_gd(ops):
    theta, grad = np.array([1.0, -2.0]), np.array([0.5, -1.0])
    ops.gd_update(theta, grad, 0.1)
    # 1 - 0.1*0.5 = 0.95 ; -2 - 0.1*(-1) = -1.9
    np.testing.assert_allclose(theta, [0.95, -1.9], rtol=1e-15)


def test_momentum(ops):
    theta, grad, v = np.array([1.0]), np.array([2.0]), np.array([0.5])
    ops.momentum_update(theta, grad, v, 0.1, 0.9)
    # v = 0.9*0.5 + 0.1*2 = 0.65 ; theta = 1 - 0.1*0.65 = 0.935
    np.testing.assert_allclose(v, [0.65], rtol=1e-15)
    np.testing.assert_allclose(theta, [0.935], rtol=1e-15)


def test_rmsprop(ops):
    theta, grad, s = np.array([1.0]), np.array([2.0]), np.array([1.0])
    ops.rmsprop_update(theta, grad, s, 0.1, 0.99, 1e-8)
    # s = 0.99*1 + 0.01*4 = 1.03 ; theta = 1 - 0.1*2/(sqrt(1.03)+1e-8)
    np.testing.assert_allclose(s, [1.03], rtol=1e-15)
    np.testing.assert_allclose(theta, [1 - 0.2 / (math.sqrt(1.03) + 1e-8)], rtol=1e-15)


def test_adam_first_step(ops):
    theta, grad = np.array([1.0, 3.0]), np.array([2.0, -0.5])
    v, s = np.zeros(2), np.zeros(2)
    ops.adam_update(theta, grad, v, s, 0.01, 1, 0.9, 0.999, 1e-8)
    # t=1: v = 0.1 g, s = 0.001 g^2; v_hat = g, s_hat = g^2, step = lr * g/(|g| + eps) ≈ lr*sign(g)
    np.testing.assert_allclose(v, [0.2, -0.05], rtol=1e-15)
    np.testing.assert_allclose(s, [0.004, 0.00025], rtol=1e-14)
    np.testing.assert_allclose(theta, [1 - 0.01 * 2 / (2 + 1e-8), 3 + 0.01 * 0.5 / (0.5 + 1e-8)],
                               rtol=1e-14)


def test_adam_later_step_matches_naive(ops, rng):
    theta, grad = rng.normal(size=9), rng.normal(size=9)
    v, s = rng.normal(size=9) * 0.1, rng.random(9) * 0.1
    want = naive.adam(theta, grad, v, s, 0.003, 7, 0.8, 0.95, 1e-6)
    ops.adam_update(theta, grad, v, s, 0.003, 7, 0.8, 0.95, 1e-6)
    for got, ref in zip((theta, v, s), want):
        np.testing.assert_allclose(got, ref, rtol=1e-13)


def test_nesterov(ops):
    theta, grad, v = np.array([1.0, -1.0]), np.array([2.0, 0.0]), np.array([0.5, 0.5])
    ops.optimizer_update(theta, grad, (v,), 0.1, 1, OptSpec("nesterov", beta=0.9))
    # v = 0.9*0.5 + 0.1*2 = 0.65 ; theta = 1 - 0.1*(0.9*0.65 + 0.1*2) = 1 - 0.0785 = 0.9215
    # v = 0.9*0.5 + 0 = 0.45 ; theta = -1 - 0.1*(0.9*0.45) = -1.0405: the look-ahead's step
    np.testing.assert_allclose(v, [0.65, 0.45], rtol=1e-15)
    np.testing.assert_allclose(theta, [0.9215, -1.0405], rtol=1e-15)


@pytest.mark.parametrize("name", ["momentum", "nesterov"])
def test_momentum_and_nesterov_are_torch_sgd(ops, name):
    """Course-style momentum (v a moving average) at learning rate lr is PyTorch's SGD with
    momentum (v a sum) at lr (1 - beta), with or without Nesterov's look-ahead."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    theta0, grads = rng.normal(size=6), rng.normal(size=(5, 6))
    lr, beta = 0.05, 0.8
    theta, v = theta0.copy(), np.zeros(6)
    param = torch.nn.Parameter(torch.tensor(theta0))
    sgd = torch.optim.SGD([param], lr=lr * (1 - beta), momentum=beta,
                          nesterov=name == "nesterov")
    for t, grad in enumerate(grads, 1):
        ops.optimizer_update(theta, grad, (v,), lr, t, OptSpec(name, beta=beta))
        param.grad = torch.tensor(grad)
        sgd.step()
    np.testing.assert_allclose(theta, param.detach().numpy(), rtol=1e-12)


def test_float32_stays_float32(ops):
    theta, grad = np.ones(4, np.float32), np.full(4, 0.5, np.float32)
    v, s = np.zeros(4, np.float32), np.zeros(4, np.float32)
    ops.adam_update(theta, grad, v, s, 0.1, 1, 0.9, 0.999, 1e-8)
    assert theta.dtype == v.dtype == s.dtype == np.float32
    np.testing.assert_allclose(theta, 0.9, rtol=1e-6)


def test_unknown_optimizer_lists_names():
    with pytest.raises(ValueError, match=r"unknown optimizer 'sgd'.*'adam'"):
        OptSpec("sgd")
