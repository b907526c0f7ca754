"""Numba CUDA backend: every op as ``numba.cuda`` kernels, training resident on the GPU.

Exports the reference's names and signatures (see `kernels.reference` for shapes and
formulas); the ops take and return host arrays. Training goes through `make_trainer`,
whose `DeviceTrainer` keeps parameters, optimizer state, activations and gradients on the
device for the whole fit, copies the data set there once when it fits (else streams each
mini-batch), gathers mini-batches on the device, and synchronises with the host once per
call, to read the epochs' losses. Small networks train in a single launch per call, of
`train_small`; the others run the layer kernels step by step, each step replayed from a
CUDA graph captured at its first occurrence.

``runtime.py`` loads numba.cuda and builds the kernels of ``device.py``; ``ops.py`` holds the
stand-alone ops, ``network.py`` the whole network on the device (`DeviceNetwork`), and
``trainer.py`` `DeviceTrainer` and the warm-up. numba-cuda is an optional extra, imported
only when this backend is used.
"""
from .. import contract as _contract
from . import network, ops, runtime, trainer

__all__ = ["name", *_contract.OPS]
name = "cuda"
_contract.gather(globals(), ops, network, trainer, runtime)
