"""What every backend needs to know about a network: names, codes and the flat layout.

All parameters of a network live in one flat vector ``theta``. Layer ``l`` owns
``W_l`` of shape (n_l, n_{l-1}) followed by ``b_l`` of shape (n_l,), both
C-contiguous views into ``theta``. Gradients and optimizer states share that
layout, so one update kernel serves the whole network.
"""
from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple

import numpy as np

HIDDEN_ACTIVATIONS = ("leaky_relu", "relu", "sigmoid", "tanh")
OUTPUT_ACTIVATIONS = ("identity", "sigmoid", "softmax")


class Activation(IntEnum):
    """The one table of activation codes, passed to compiled kernels instead of names."""
    SIGMOID = 0
    TANH = 1
    RELU = 2
    LEAKY_RELU = 3
    IDENTITY = 4
    SOFTMAX = 5


class Optimizer(IntEnum):
    """The one table of optimizer codes; `OPTIMIZER_STATES` says what state each keeps."""
    GD = 0
    MOMENTUM = 1
    RMSPROP = 2
    ADAM = 3
    NESTEROV = 4


#: The state vectors, shaped like theta, that each optimizer keeps, in the order of a
#: model's ``states``: "v" (a moving average of the gradient), then "s" (of its square).
OPTIMIZER_STATES = {Optimizer.GD: "", Optimizer.MOMENTUM: "v", Optimizer.RMSPROP: "s",
                    Optimizer.ADAM: "vs", Optimizer.NESTEROV: "v"}

#: The codes as plain ints, which compiled code (CPU and CUDA) reads as constants.
SIGMOID, TANH, RELU, LEAKY_RELU, IDENTITY, SOFTMAX = map(int, Activation)
GD, MOMENTUM, RMSPROP, ADAM, NESTEROV = map(int, Optimizer)
#: Name -> code, the names being the estimators' parameter values.
ACTIVATION_CODES = {a.name.lower(): int(a) for a in Activation}
OPTIMIZER_CODES = {o.name.lower(): int(o) for o in Optimizer}
OPTIMIZERS = tuple(sorted(OPTIMIZER_CODES))


def check_name(name, valid, what):
    """Raise a ValueError naming `what` and listing the valid names."""
    if not isinstance(name, str) or name not in valid:
        raise ValueError(f"unknown {what} {name!r}; valid names are {sorted(valid)}")
    return name


class CompiledNet(NamedTuple):
    """A `NetSpec` as compiled kernels read it (Numba takes a named tuple as an argument)."""

    #: int64 (L + 1,): n_0 .. n_L
    sizes: np.ndarray
    #: int64 (L + 1,): where W_l starts in theta, for l = 1..L, then n_params
    offsets: np.ndarray
    #: float64 (L + 1,): the dropout keep probability of each layer
    keeps: np.ndarray
    #: the hidden and the output activation codes
    act: int
    out: int
    slope: float
    l2: float
    #: whether any layer keeps less than all its units (`NetSpec.uses_dropout`)
    dropout: bool


@dataclass(frozen=True)
class NetSpec:
    """Architecture and regularization of a fully-connected network.

    Parameters
    ----------
    sizes : tuple of int
        Layer widths (n_0, n_1, ..., n_L); n_0 is the number of features.
    activation : str
        Hidden activation, one of HIDDEN_ACTIVATIONS.
    output : str
        Output activation, one of OUTPUT_ACTIVATIONS. It fixes the cost:
        sigmoid with binary cross-entropy, softmax with categorical
        cross-entropy, identity with half mean squared error.
    slope : float
        Negative-side slope of leaky_relu.
    l2 : float
        L2 strength lambda.
    keep_probs : tuple of float
        Dropout keep probability per layer 0..L; entries 0 and L are 1.
    """

    sizes: tuple
    activation: str = "relu"
    output: str = "sigmoid"
    slope: float = 0.01
    l2: float = 0.0
    keep_probs: tuple = None
    offsets: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        sizes = tuple(int(n) for n in self.sizes)
        object.__setattr__(self, "sizes", sizes)
        check_name(self.activation, HIDDEN_ACTIVATIONS, "activation")
        check_name(self.output, OUTPUT_ACTIVATIONS, "output activation")
        keep = self.keep_probs
        keep = (1.0,) * len(sizes) if keep is None else tuple(float(k) for k in keep)
        if len(keep) != len(sizes) or keep[0] != 1.0 or keep[-1] != 1.0:
            raise ValueError("keep_probs needs one entry per layer, 1.0 for input and output")
        object.__setattr__(self, "keep_probs", keep)
        offsets = np.zeros(len(sizes), dtype=np.int64)
        for l in range(1, len(sizes)):
            offsets[l] = offsets[l - 1] + sizes[l] * (sizes[l - 1] + 1)
        object.__setattr__(self, "offsets", offsets)

    @property
    def n_layers(self):
        """Number of layers with parameters, L."""
        return len(self.sizes) - 1

    @property
    def n_params(self):
        """Length of the flat parameter vector."""
        return int(self.offsets[-1])

    def largest_kernel(self, m):
        """Work (multiply-adds or elements) of the largest kernel of a pass over m examples:
        a layer's product, the input batch, or an update of all parameters."""
        sizes = self.sizes
        return max([sizes[l] * sizes[l - 1] * m for l in range(1, len(sizes))]
                   + [sizes[0] * m, self.n_params])

    @property
    def uses_dropout(self):
        """Whether any layer keeps less than all its units."""
        return any(k < 1.0 for k in self.keep_probs)

    def unpack(self, theta):
        """Views (W_l, b_l) into a flat vector, for l = 1..L."""
        views = []
        for l in range(1, len(self.sizes)):
            n, n_prev, start = self.sizes[l], self.sizes[l - 1], self.offsets[l - 1]
            W = theta[start:start + n * n_prev].reshape(n, n_prev)
            b = theta[start + n * n_prev:start + n * (n_prev + 1)]
            views.append((W, b))
        return views

    def compiled(self):
        """The spec as compiled kernels take it, a `CompiledNet`."""
        return CompiledNet(np.asarray(self.sizes, dtype=np.int64), self.offsets,
                           np.asarray(self.keep_probs, dtype=np.float64),
                           np.int64(ACTIVATION_CODES[self.activation]),
                           np.int64(ACTIVATION_CODES[self.output]), float(self.slope),
                           float(self.l2), self.uses_dropout)


@dataclass(frozen=True)
class OptSpec:
    """Optimizer name and hyperparameters (course notation)."""

    name: str = "gd"
    beta: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def __post_init__(self):
        check_name(self.name, OPTIMIZERS, "optimizer")

    @property
    def code(self):
        """This optimizer's code in the `Optimizer` table."""
        return OPTIMIZER_CODES[self.name]

    @property
    def n_states(self):
        """How many state vectors shaped like theta the optimizer keeps."""
        return len(OPTIMIZER_STATES[self.code])

    def state_vectors(self, states, none):
        """(v, s) out of `states` (`n_states` vectors), with `none` (an empty vector of
        theta's dtype) for a state this optimizer does not keep."""
        kept = OPTIMIZER_STATES[self.code]
        return (states[0] if "v" in kept else none, states[-1] if "s" in kept else none)

    def compiled(self):
        """(code, beta, beta2, epsilon) for compiled kernels; beta is beta1 for adam."""
        beta = self.beta1 if self.code == ADAM else self.beta
        return np.int64(self.code), float(beta), float(self.beta2), float(self.epsilon)


def with_weight_row(Y, sample_weight=None, samples_first=False):
    """Y with the example weights as one more row: the target layout of compiled kernels.

    Parameters
    ----------
    Y : ndarray of shape (n_L, m), or (m, n_L) with samples_first
    sample_weight : ndarray of shape (m,), optional
        Example weights w; ones when not given, which leave every result as it is.

    Returns
    -------
    ndarray of shape (n_L + 1, m), or (m, n_L + 1) with samples_first, C-contiguous and of
    Y's dtype: rows (columns) 0..n_L-1 are Y, the last is w.
    """
    Y = np.asarray(Y)
    if samples_first:
        return np.ascontiguousarray(with_weight_row(Y.T, sample_weight).T)
    out = np.empty((Y.shape[0] + 1, Y.shape[1]), Y.dtype)
    out[:-1] = Y
    out[-1] = 1 if sample_weight is None else sample_weight
    return out
