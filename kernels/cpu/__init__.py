"""Numba CPU backend: explicit-loop kernels compiled with ``njit``, parallel with ``prange``.

Exports the contract of `kernels.contract` with the reference's signatures (see
`kernels.reference` for the shapes and formulas of each op): the stand-alone ops of
``ops.py`` and the whole network of ``engine.py``. Nothing compiles at import; call
`warmup` (or ``nn.warmup``) to compile ahead of the first fit.
"""
from .. import contract as _contract
from . import engine, ops, threads

__all__ = ["name", *_contract.OPS]
name = "numba"
threads.choose_layer()  # before anything starts Numba's thread pool
_contract.gather(globals(), ops, engine, threads)
