"""Fully-connected neural networks from the deep-learning course, on NumPy, Numba or CUDA.

>>> import nn
>>> clf = nn.DeepNeuralNetwork(hidden_layer_sizes=(20, 7, 5), backend="numba")
"""
from .estimators import DeepNeuralNetwork, DeepNeuralNetworkRegressor, LogisticRegression
from .exceptions import NotFittedError
from .gradcheck import gradient_check
from .model_io import load
from .preprocessing import Standardizer, train_dev_test_split

__all__ = ["DeepNeuralNetwork", "DeepNeuralNetworkRegressor", "LogisticRegression",
           "NotFittedError", "Standardizer", "gradient_check", "load", "train_dev_test_split"]
__version__ = "0.1.0"
