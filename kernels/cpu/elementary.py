"""exp, expm1, log1p and tanh without libm calls, so that LLVM can vectorize the loops
that use them.

Numba compiles ``math.exp``, ``math.log1p`` and ``math.tanh`` to one libm call per
element, which keeps the loop around it scalar and, in the output pass of a small network
(a sigmoid and a cross-entropy per example), takes a large part of a training step. These
versions are a range reduction and polynomials, with selects instead of branches, inlined
into the caller's loop, which then vectorizes (figures in the README).
Each stays within 2 to 4 ulps of libm over the range it serves
(``tests/test_cpu_backend.py``). The CPU backend compiles `kernels.scalar`'s helpers with
them (see `kernels.scalar.compiled`).

`exp_nonpositive` and `tanh` compute in their argument's precision: float32 data get
float32 versions with shorter polynomials, which fill twice as many vector lanes, within
the same ulps of float32. ``exp_nonpositive(np.float64(z))`` keeps float64 for float32
data, as the costs do.
"""
import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ._jit import jit

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 in 32 bits, so that k * LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
LN2 = 0.6931471805599453
SQRT2_M1 = 0.41421356237309503
#: Coefficients, highest power first: 1/k! for k = 13..0, the Taylor polynomial of e**r to
#: within 1e-17 relative for |r| <= ln(2)/2; and 1/(2k+1) for k = 11..1, the series of
#: (atanh(s)/s - 1) / s^2 to within 1e-17 for |s| <= 0.172.
EXP_TAYLOR = tuple(1 / math.factorial(k) for k in range(13, -1, -1))
#: 1/(k+1)! for k = 7..0 and for k = 15..8: (e**x - 1) / x by its Taylor series in two
#: halves, to within 5e-17 relative for |x| <= 0.75. LLVM unrolls each `polynomial` loop
#: only up to a size: as one 16-term loop next to exp's, it stayed a loop, and a tanh over
#: a block ran many times slower than with two 8-term loops.
EXPM1_LOW = tuple(1 / math.factorial(k + 1) for k in range(7, -1, -1))
EXPM1_HIGH = tuple(1 / math.factorial(k + 1) for k in range(15, 7, -1))
EXPM1_SERIES_FROM = -0.75
ATANH_SERIES = tuple(1 / (2 * k + 1) for k in range(11, 0, -1))
#: float32: ln 2 in 9 bits (k * LN2_HI32 is exact for |k| < 2**15) and the rest; 1/k! for
#: k = 7..0, e**r to within 6e-9 relative for |r| <= ln(2)/2; and 1/(k+1)! for k = 9..0,
#: (e**x - 1) / x to within 3e-9 for |x| <= 0.75.
LN2_HI32, LN2_LO32 = 0.693359375, -2.1219444005469057e-4
LOG2E32 = np.float32(LOG2E)
EXP_TAYLOR32 = tuple(np.float32(1 / math.factorial(k)) for k in range(7, -1, -1))
EXPM1_32 = tuple(np.float32(1 / math.factorial(k + 1)) for k in range(9, -1, -1))
#: Below this, e**x rounds to zero in float32.
EXP_FLOOR32 = np.float32(-104.0)


#: Per float type: its LLVM type, the width, exponent bias and mantissa bits of its bit
#: pattern, and ln 2 split in two for `_reduced`.
_FLOAT_LAYOUT = {types.float64: (ir.DoubleType(), 64, 1023, 52, LN2_HI, LN2_LO),
                 types.float32: (ir.FloatType(), 32, 127, 23, LN2_HI32, LN2_LO32)}


@intrinsic
def _power_of_two(typingctx, k):
    """2.0 ** k for an integer-valued float k (float64: -1022 <= k <= 1023; float32:
    -126 <= k <= 127), in k's type, from exponent bits.

    k + 1.5 * 2**mantissa_bits holds k in its low bits, so the integer comes out of a
    float addition and a bit cast: no float-to-integer conversion, which AVX2 lacks for
    64-bit integers and which would keep the loop around it scalar.
    """
    if k not in _FLOAT_LAYOUT:
        return None
    llvm_type, width, bias, mantissa, _, _ = _FLOAT_LAYOUT[k]
    int_type = ir.IntType(width)
    magic = 1.5 * 2.0 ** mantissa
    offset = bias - _bit_pattern(magic, width)  # bits of (k + magic) = pattern(magic) + k

    def codegen(context, builder, signature, args):
        shifted = builder.fadd(args[0], ir.Constant(llvm_type, magic))
        bits = builder.bitcast(shifted, int_type)
        exponent = builder.add(bits, ir.Constant(int_type, offset))  # k + bias
        return builder.bitcast(builder.shl(exponent, ir.Constant(int_type, mantissa)),
                               llvm_type)
    return k(k), codegen


def _bit_pattern(value, width):
    """The IEEE bit pattern of `value` as a float of `width` bits, an int."""
    dtype = np.float64 if width == 64 else np.float32
    return int(np.array(value, dtype).view(np.int64 if width == 64 else np.int32))


@intrinsic
def _reduced(typingctx, x, k):
    """x - k ln 2 as two fused multiply-adds, x - k LN2_HI and then - k LN2_LO, in x's
    float type (k of the same type).

    Written as plain arithmetic, the reduction would get the project's fast-math flags,
    with which LLVM folds the two constants into one and loses up to 0.3 ulp of e**x per
    unit of k; LLVM does not reassociate across ``llvm.fma``.
    """
    if x not in _FLOAT_LAYOUT or k != x:
        return None
    llvm_type, _, _, _, ln2_hi, ln2_lo = _FLOAT_LAYOUT[x]

    def codegen(context, builder, signature, args):
        x, k = args
        hi, lo = ir.Constant(llvm_type, -ln2_hi), ir.Constant(llvm_type, -ln2_lo)
        return builder.fma(k, lo, builder.fma(k, hi, x))
    return x(x, x), codegen


@jit(forceinline=True, inner=True)
def polynomial(x, coeffs):
    """sum of coeffs[i] x^(n - i) by Horner's rule, coeffs highest power first."""
    p = coeffs[0]
    for i in range(1, len(coeffs)):
        p = p * x + coeffs[i]
    return p


@jit(forceinline=True, inner=True)
def exp_nonpositive64(x):
    """e**x for x <= 0 (NaN stays NaN), as float64.

    x = k ln 2 + r with |r| <= ln(2)/2, e**r by its Taylor polynomial of degree 13, and
    2**k applied in two halves so that results below 2**-1022 come out as subnormals.
    """
    xc = max(x, -746.0)
    k = np.floor(xc * LOG2E + 0.5)
    r = _reduced(xc, k)
    p = polynomial(r, EXP_TAYLOR)
    half = np.floor(k * 0.5)
    y = p * _power_of_two(half) * _power_of_two(k - half)
    return y if x >= -746.0 else (0.0 if x < -746.0 else x)


@jit(forceinline=True, inner=True)
def log1p_unit(e):
    """log(1 + e) for 0 <= e <= 1 (NaN stays NaN), as float64.

    With u = 1 + e and s = (u - 1) / (u + 1), or s = (u - 2) / (u + 2) and ln 2 added when
    u > sqrt(2), |s| <= 0.172 and log(u) = 2 atanh(s) = 2s (1 + s^2/3 + s^4/5 + ...),
    summed to s^22/23. Neither s has a cancellation: it is e / (2 + e) or (e - 1) / (e + 3).
    """
    big = e > SQRT2_M1
    s = (e - 1.0 if big else e) / (e + 3.0 if big else e + 2.0)
    t = s * s
    q = polynomial(t, ATANH_SERIES)
    return (LN2 if big else 0.0) + (2 * s + 2 * s * t * q)


@jit(forceinline=True, inner=True)
def exp_nonpositive32(x):
    """e**x for a float32 x <= 0 (NaN stays NaN), as float32: `exp_nonpositive64` with a
    degree-7 polynomial, and 2**k from float32 exponent bits."""
    xc = max(x, EXP_FLOOR32)
    k = np.floor(xc * LOG2E32 + np.float32(0.5))
    p = polynomial(_reduced(xc, k), EXP_TAYLOR32)
    half = np.floor(k * np.float32(0.5))
    y = p * _power_of_two(half) * _power_of_two(k - half)
    return y if x >= EXP_FLOOR32 else (np.float32(0.0) if x < EXP_FLOOR32 else x)


@jit(forceinline=True, inner=True)
def expm1_nonpositive(x):
    """e**x - 1 for x <= 0 (NaN stays NaN), as float64: x times the Taylor series of
    (e**x - 1) / x above -0.75, where e**x - 1 would cancel, and e**x - 1 below."""
    near = x > EXPM1_SERIES_FROM
    xs = x if near else 0.0
    x4 = (xs * xs) * (xs * xs)
    series = xs * (polynomial(xs, EXPM1_LOW) + (x4 * x4) * polynomial(xs, EXPM1_HIGH))
    return series if near else exp_nonpositive64(x) - 1.0


@jit(forceinline=True, inner=True)
def expm1_nonpositive32(x):
    """e**x - 1 for a float32 x <= 0 (NaN stays NaN), as float32: `expm1_nonpositive` with
    a degree-9 series above -0.75."""
    near = x > np.float32(EXPM1_SERIES_FROM)
    xs = x if near else np.float32(0.0)
    series = xs * polynomial(xs, EXPM1_32)
    return series if near else exp_nonpositive32(x) - np.float32(1.0)


@jit(forceinline=True, inner=True)
def tanh32(z):
    """tanh(z) for a float32 z, as float32, by `tanh64`'s formula."""
    u = expm1_nonpositive32(np.float32(-2.0) * abs(z))
    t = -u / (np.float32(2.0) + u)
    return t if z >= 0 else -t


@jit(forceinline=True, inner=True)
def tanh64(z):
    """tanh(z) as float64 (NaN stays NaN): -u / (2 + u) with u = e**(-2|z|) - 1, and the
    sign of z. No step cancels: u is within [-1, 0] and 2 + u within [1, 2]."""
    u = expm1_nonpositive(-2.0 * abs(np.float64(z)))
    t = -u / (2.0 + u)
    return t if z >= 0 else -t


def _by_precision(name, for_float64, for_float32, doc):
    """A function for compiled code that runs `for_float32` on a float32 argument and
    `for_float64` on any other."""
    def chosen(x):
        raise TypeError(f"{name} runs in compiled code only")
    chosen.__name__ = chosen.__qualname__ = name
    chosen.__doc__ = doc

    @overload(chosen, inline="always")
    def _typed(x):
        version = for_float32 if x == types.float32 else for_float64
        return lambda x: version(x)
    return chosen


exp_nonpositive = _by_precision("exp_nonpositive", exp_nonpositive64, exp_nonpositive32,
                                "e**x for x <= 0, in x's precision (float32 or float64).")
tanh = _by_precision("tanh", tanh64, tanh32, "tanh(z) in z's precision (float32 or float64).")
