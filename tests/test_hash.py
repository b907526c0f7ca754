"""The dropout hash, bit for bit, against a pure-Python-integer implementation."""
import numpy as np
import pytest

from kernels import hashing
from tests import naive


@pytest.mark.parametrize("seed", [0, 1, 2 ** 63 + 12345, 2 ** 64 - 1])
def test_hash_bits_match_python_integers(seed):
    with np.errstate(over="ignore"):
        key = hashing.stream_key(np.uint64(seed), np.uint64(17), np.uint64(3))
        for unit in (0, 1, 99):
            rk = hashing.row_key(key, np.uint64(unit))
            for example in (0, 5, 2 ** 40):
                got = hashing.uniform(rk, np.uint64(example))
                assert got == naive.dropout_uniform(seed, 17, 3, unit, example)


def test_known_value():
    # Pinned so that a change of the hash (and so of every model's dropout) cannot go unnoticed.
    assert naive._mix(0x9E3779B97F4A7C15) == 0xE220A8397B1DCDAF
    with np.errstate(over="ignore"):
        assert int(hashing.mix64(np.uint64(0x9E3779B97F4A7C15))) == 0xE220A8397B1DCDAF


def test_mask_statistics():
    from kernels.reference import dropout_mask
    D = dropout_mask(7, 1, 1, (200, 500), 0.8)
    assert abs(D.mean() - 0.8) < 0.01
    assert not np.array_equal(D, dropout_mask(7, 2, 1, (200, 500), 0.8))
    assert not np.array_equal(D, dropout_mask(7, 1, 2, (200, 500), 0.8))
    assert not np.array_equal(D, dropout_mask(8, 1, 1, (200, 500), 0.8))
