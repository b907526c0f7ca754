"""Forward and backward kernels of fully-connected networks, one module per backend.

Every backend module exports the same names with the same signatures, the contract of
`kernels.contract`: ``kernels.reference`` (NumPy), ``kernels.cpu`` (Numba, parallel loops)
and ``kernels.cuda`` (Numba CUDA). `get_backend` maps a backend name to its module and
imports it only when asked.
"""
import importlib

BACKENDS = {"numpy": "kernels.reference", "numba": "kernels.cpu", "cuda": "kernels.cuda"}


def get_backend(name):
    """The kernel module of backend `name` ("numpy", "numba" or "cuda")."""
    if not isinstance(name, str) or name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid names are {sorted(BACKENDS)}")
    return importlib.import_module(BACKENDS[name])
