"""Counter-based hash for dropout masks, written once for every backend.

The keep decision for unit ``i`` of layer ``l`` on example ``j`` of step ``t``
depends only on (seed, t, l, i, j), so parallel CPU threads and GPU threads
draw the very same mask as the NumPy reference. The mixer is SplitMix64's
finalizer; all arithmetic is on uint64 and wraps modulo 2**64.

The functions are plain Python on ``np.uint64`` values: NumPy applies them to
arrays, and ``register_jitable`` lets Numba's CPU and CUDA targets compile the
very same code when a kernel calls them (nothing compiles at import).
"""
import numpy as np
from numba.extending import register_jitable

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MUL1 = np.uint64(0xBF58476D1CE4E5B9)
MUL2 = np.uint64(0x94D049BB133111EB)
SHIFT1 = np.uint64(30)
SHIFT2 = np.uint64(27)
SHIFT3 = np.uint64(31)
MANTISSA_SHIFT = np.uint64(11)
TO_UNIT = 2.0 ** -53


@register_jitable
def mix64(z):
    """SplitMix64 finalizer of a uint64 (or uint64 array)."""
    z = (z ^ (z >> SHIFT1)) * MUL1
    z = (z ^ (z >> SHIFT2)) * MUL2
    return z ^ (z >> SHIFT3)


@register_jitable
def stream_key(seed, step, layer):
    """Key of the (seed, step, layer) stream; all arguments uint64."""
    return mix64(mix64(mix64(seed + GOLDEN) ^ step) ^ layer)


@register_jitable
def row_key(key, unit):
    """Key of one unit's row within a stream; arguments uint64."""
    return mix64(key ^ unit)


@register_jitable
def uniform(rkey, example):
    """Uniform in [0, 1) with 53 random bits, for one example of a row."""
    return (mix64(rkey ^ example) >> MANTISSA_SHIFT) * TO_UNIT
