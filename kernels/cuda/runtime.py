"""The CUDA backend's runtime: numba.cuda, loaded when first asked for with an error that says
how to get a working one; the kernels of ``device.py``, built once per dtype and tiling;
launch dimensions; and host-to-device copies."""
import contextlib
import functools
import importlib.util
import os
import warnings

import numpy as np

from .. import config


def cuda():
    """numba.cuda, or an error that says how to get a working one."""
    if importlib.util.find_spec("numba_cuda") is None:
        raise ImportError('backend="cuda" needs numba-cuda with its CUDA 13 libraries: '
                          'pip install "nnkernels[cuda]"')
    from numba import cuda as module
    if not module.is_available():
        raise RuntimeError('backend="cuda" found no usable NVIDIA GPU (driver and device). '
                           'Use backend="numba" on this machine, or set NUMBA_ENABLE_CUDASIM=1 '
                           "to run the CUDA kernels in Numba's (slow) simulator.")
    if not simulated():
        check_numpy_typing()
    return module


#: The module of numba-cuda's NumPy support, which it loads at the first kernel compilation.
NUMPY_TYPING = "numba.cuda.np.arrayobj"


def check_numpy_typing():
    """Load numba-cuda's NumPy support now, so that a NumPy release it cannot handle gives an
    error that says so, instead of an AttributeError from inside the first compilation
    (numba-cuda 0.30 registers np.row_stack, which NumPy 2.5 removed)."""
    try:
        importlib.import_module(NUMPY_TYPING)
    except ModuleNotFoundError:  # another layout of numba-cuda: nothing to check ahead
        pass
    except AttributeError as exc:
        from importlib.metadata import version
        raise RuntimeError(
            f'backend="cuda": numba-cuda {version("numba-cuda")} cannot compile kernels with '
            f"NumPy {np.__version__} ({exc}). Install a NumPy release that this numba-cuda "
            'supports (for numba-cuda 0.30: pip install "numpy<2.5") or a numba-cuda release '
            "that supports this NumPy.") from exc


def simulated():
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


@functools.cache
def build(dtype, tile, tpb, reg):
    """`device.build`'s kernels, built once per (dtype, tile, threads per block, reg)."""
    from . import device
    return device.build(dtype, tile, tpb, reg)


def kernels(dtype):
    """The kernels for `dtype` with the configured tiles."""
    cuda()
    return build(np.dtype(dtype).name, int(config.CUDA_TILE), int(config.THREADS_PER_BLOCK),
                  int(config.CUDA_REG_TILE))


@functools.cache
def multiprocessors():
    return getattr(cuda().get_current_device(), "MULTIPROCESSOR_COUNT", 1)


def product_kernels(dtype, rows, cols):
    """The kernels whose matrix products suit an output of rows x cols: register-blocked
    (``config.CUDA_REG_TILE``) when that still gives every multiprocessor
    ``config.CUDA_REG_MIN_TILES_PER_SM`` output tiles, one element per thread otherwise."""
    reg, T = int(config.CUDA_REG_TILE), int(config.CUDA_TILE)
    tiles = -(-rows // (T * reg)) * -(-cols // (T * reg))
    if tiles < config.CUDA_REG_MIN_TILES_PER_SM * multiprocessors():
        reg = 1
    cuda()
    return build(np.dtype(dtype).name, T, int(config.THREADS_PER_BLOCK), reg)


def grid1(count):
    tpb = int(config.THREADS_PER_BLOCK)
    return max(1, min(config.CUDA_MAX_BLOCKS, -(-count // tpb))), tpb


def grid2(rows, cols, per_thread=1):
    """(grid, block) of a 2-D kernel over rows x cols, each of whose TILE x TILE threads
    covers per_thread x per_thread elements."""
    T, cap = int(config.CUDA_TILE), min(65535, int(config.CUDA_MAX_BLOCKS))
    side = T * per_thread
    return (max(1, min(cap, -(-cols // side))), max(1, min(cap, -(-rows // side)))), (T, T)


@contextlib.contextmanager
def quiet():
    """The dropout hash relies on uint64 wrap-around, and a diverging fit computes with
    infinities and NaNs until it stops; the simulator runs both on NumPy scalars in one
    Python thread per CUDA thread (where NumPy's errstate does not reach). Numba warns of
    every launch of fewer than 128 blocks, which the small layers of a network are.

    A context, or a decorator (``@quiet()``) for an op whose launches all want it."""
    with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
        for message in ("overflow encountered", "invalid value encountered"):
            warnings.filterwarnings("ignore", message, RuntimeWarning)
        warnings.filterwarnings("ignore", "Grid size .* under-utilization")
        yield


def c_order(a):
    """`a` in C order with the canonical strides, copied only when not contiguous.

    np.ascontiguousarray keeps any stride of a length-1 axis (x[None, :], or the transpose
    of a (1, m) array), and a device copy of such an array launches kernels with a layout
    "A" specialisation instead of the C-order one that `device.signatures` declares."""
    a = np.ascontiguousarray(a)
    return a.reshape(-1).reshape(a.shape)


def dev(a):
    """`a` copied to the device, in C order (`c_order`)."""
    return cuda().to_device(c_order(a))


def empty(shape, dtype):
    return cuda().device_array(shape, dtype)


@contextlib.contextmanager
def num_threads(n):
    """Thread-count context of the backend; the GPU has no host threads to set."""
    yield


def ctl(step=0):
    """A step-control array (see `device.STEP`) at optimizer step `step`, epoch 0."""
    return dev(np.array([step, 0, 0], np.int64))
