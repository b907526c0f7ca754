"""Learning-rate decay schedules against their formulas."""
import math

import numpy as np
import pytest

import nn
from nn.schedules import learning_rates
from tests.conftest import toy_classification


def test_constant():
    np.testing.assert_array_equal(learning_rates(0.1, 3), [0.1, 0.1, 0.1])


@pytest.mark.parametrize("decay,formula", [
    ("inverse", lambda e: 0.2 / (1 + 0.5 * e)),
    ("exponential", lambda e: 0.2 * 0.5 ** e),
    ("inverse_sqrt", lambda e: 0.2 / math.sqrt(e + 1)),
    ("staircase", lambda e: 0.2 / (1 + 0.5 * (e // 3))),
])
def test_schedule(decay, formula):
    got = learning_rates(0.2, 10, decay, decay_rate=0.5, decay_steps=3)
    np.testing.assert_allclose(got, [formula(e) for e in range(10)], rtol=1e-15)


def test_callable_and_offset():
    got = learning_rates(1.0, 3, lambda e: 1.0 / (e + 10), first_epoch=2)
    np.testing.assert_allclose(got, [1 / 12, 1 / 13, 1 / 14])
    with pytest.raises(ValueError, match="positive"):
        learning_rates(1.0, 2, lambda e: -1.0)


def test_schedule_is_applied_during_fit():
    X, y = toy_classification(n=40)
    seen = []

    def schedule(epoch):
        seen.append(epoch)
        return 0.01

    a = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=4, random_state=1,
                             lr_decay=schedule).fit(X, y)
    assert seen == [0, 1, 2, 3]
    b = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=4, random_state=1,
                             learning_rate=0.01).fit(X, y)
    np.testing.assert_array_equal(a.params_[0][0], b.params_[0][0])
    c = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=4, random_state=1, learning_rate=0.01,
                             lr_decay="exponential", decay_rate=0.5).fit(X, y)
    assert not np.allclose(c.params_[0][0], b.params_[0][0])
