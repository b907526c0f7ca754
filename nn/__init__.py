"""Fully-connected neural networks from the deep-learning course, on NumPy, Numba or CUDA.

>>> import nn
>>> clf = nn.DeepNeuralNetwork(hidden_layer_sizes=(20, 7, 5), backend="numba")
"""
from . import course, datasets, distributed, workloads
from .base import TrainingDivergedWarning
from .diagnosis import Diagnosis, diagnose
from .estimators import DeepNeuralNetwork, DeepNeuralNetworkRegressor, LogisticRegression
from .exceptions import DataConversionWarning, NotFittedError
from .gradcheck import gradient_check
from .model_io import load
from .preprocessing import Standardizer, train_dev_test_split



def warmup(backend="numba", dtype="float64"):
    """Compile (or load from Numba's cache) every kernel a fit on `backend` uses, for `dtype`.

    Later fits then start at full speed. Compiled code is cached on disk (respecting
    NUMBA_CACHE_DIR), so this is slow only the first time on a machine.
    """
    import kernels
    from .base import DTYPES
    from .validation import check_choice
    check_choice("dtype", dtype, DTYPES)
    kernels.get_backend(backend).warmup(dtype)


__all__ = ["TrainingDivergedWarning", "DeepNeuralNetwork", "DeepNeuralNetworkRegressor", "LogisticRegression",
           "DataConversionWarning", "NotFittedError", "Diagnosis", "diagnose", "Standardizer", "gradient_check", "load", "train_dev_test_split", "warmup", "course", "datasets", "distributed",
           "workloads"]
__version__ = "0.1.0"
