"""The public estimators: LogisticRegression, DeepNeuralNetwork, DeepNeuralNetworkRegressor."""
import numpy as np

from . import validation as V
from .base import BaseNetwork


class _Classifier(BaseNetwork):
    """Labels of any two or more distinct values; one sigmoid unit for two, softmax above."""

    _estimator_type = "classifier"

    def _check_targets(self, y, n_samples, name="y"):
        return V.check_y(y, n_samples, name, owner=type(self).__name__)

    def _targets_state(self, header, arrays):
        """classes_ into a saved state: in the header when they are strings, else an array."""
        classes = np.asarray(self.classes_)
        if classes.dtype.kind in "OSU":
            header["classes"] = [str(c) for c in classes]
        else:
            arrays["classes"] = classes

    def _set_targets_state(self, header, arrays, spec):
        classes = (arrays["classes"] if "classes" in arrays
                   else np.asarray(header.get("classes", [])))
        n_out = spec.sizes[-1]
        if (len(classes) < 2 or (n_out == 1) != (len(classes) == 2)
                or (n_out > 1 and n_out != len(classes))):
            raise ValueError("classes do not match the output layer")
        self.classes_ = classes

    def _set_classes(self, y, classes=None, partial=False):
        if classes is None:
            if partial:
                raise ValueError("classes must be passed on the first call to partial_fit: "
                                 "a chunk may lack some of the labels")
            classes = np.unique(y)
        else:
            classes = np.unique(self._check_targets(classes, np.shape(classes)[0], "classes"))
            self._check_labels(y, classes)
        if len(classes) < 2:
            raise ValueError(f"y has {len(classes)} class; a classifier needs at least two")
        self.classes_ = classes

    def _check_warm_targets(self, y, classes=None):
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={np.unique(classes).tolist()} differs from the classes "
                             f"of the first call, {self.classes_.tolist()}")
        self._check_labels(y, self.classes_)

    @staticmethod
    def _check_labels(y, classes):
        unseen = np.setdiff1d(np.unique(y), classes)
        if unseen.size:
            raise ValueError(f"y has labels outside classes_ {classes.tolist()[:10]}: "
                             f"{unseen[:5].tolist()}")

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), continuing the model: streaming and out-of-core training.

        Each call continues the parameters, the optimizer state, the step counter (which
        keys the dropout masks), the learning-rate schedule and the shuffling stream, so k
        calls on the same data give the parameters of ``fit`` with ``epochs=k``. `epochs`
        and `early_stopping` do not apply; ``n_iter_`` grows by one per call.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : array of shape (n_samples,)
        classes : array-like of shape (n_classes,)
            Every label of the whole stream. Required on the first call, so that a chunk
            that lacks a class still builds the right output layer; later calls may pass
            it again, equal.
        sample_weight : array of shape (n_samples,), optional
            Weights of this call's examples, normalized within the call as in `fit`.

        Returns
        -------
        self
        """
        return self._partial_fit(X, y, classes, sample_weight)

    def _output_activation(self):
        return "sigmoid" if len(self.classes_) == 2 else "softmax"

    def _encode_targets(self, y, dtype):
        """Y of shape (1, m) for two classes, one-hot (C, m) otherwise."""
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        if np.any(self.classes_[idx] != y):
            unseen = np.unique(np.asarray(y)[self.classes_[idx] != y])
            raise ValueError(f"y contains labels not seen in fit: {unseen[:5].tolist()}")
        if len(self.classes_) == 2:
            return idx[None, :].astype(dtype)
        Y = np.zeros((len(self.classes_), len(idx)), dtype=dtype)
        Y[idx, np.arange(len(idx))] = 1
        return Y

    def predict_proba(self, X):
        """Class probabilities of shape (n_samples, n_classes), columns ordered as classes_."""
        A = self._output(X)
        if A.shape[0] == 1:
            return np.column_stack([1 - A[0], A[0]])
        return np.ascontiguousarray(A.T)

    def predict(self, X):
        """Predicted labels of shape (n_samples,)."""
        A = self._output(X)
        idx = (A[0] > 0.5).astype(np.intp) if A.shape[0] == 1 else A.argmax(axis=0)
        return self.classes_[idx]

    def score(self, X, y, sample_weight=None):
        """Accuracy on (X, y): the weighted fraction of right predictions with weights."""
        right = self.predict(X) == np.asarray(y).ravel()
        sw = V.check_sample_weight(sample_weight, right.shape[0])
        return float(np.mean(right) if sw is None else sw @ right / sw.sum())


class LogisticRegression(_Classifier):
    """Logistic regression (softmax regression for three or more classes).

    The network of the course's first assignment: no hidden layer, a
    sigmoid output and binary cross-entropy, trained by gradient descent.

    Parameters
    ----------
    learning_rate : float
    epochs : int
    initialization : {"zeros", "random", "xavier", "he"}
    optimizer : {"gd", "momentum", "nesterov", "rmsprop", "adam"}
    l2 : float
    batch_size : int or None
        None trains on the whole set at every step.
    backend : {"numpy", "numba", "cuda"}
    dtype : {"float64", "float32"}
    random_state : int, numpy.random.RandomState or None
        An int (or None, for fresh entropy) seeds every random stream of a fit. A legacy
        ``RandomState`` draws the initial weights itself, in the course's order, so
        ``np.random.RandomState(3)`` with ``initialization="xavier"`` starts where the
        course's ``np.random.seed(3)`` does; the other streams are seeded from its state.
    verbose : bool
    n_threads : int or None
        Threads of the numba backend during fit and predict; None keeps Numba's setting.
        The previous count is restored afterwards.
    """

    def __init__(self, learning_rate=0.005, epochs=2000, initialization="zeros", optimizer="gd",
                 l2=0.0, batch_size=None, backend="numpy", dtype="float64", random_state=None,
                 verbose=False, n_threads=None):
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.initialization = initialization
        self.optimizer = optimizer
        self.l2 = l2
        self.batch_size = batch_size
        self.backend = backend
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.n_threads = n_threads

    @property
    def coef_(self):
        """Weights of shape (n_outputs, n_features)."""
        V.check_is_fitted(self)
        return self.params_[0][0]

    @property
    def intercept_(self):
        """Biases of shape (n_outputs,)."""
        V.check_is_fitted(self)
        return self.params_[0][1]


class _DeepParams:
    """The __init__ shared by both deep estimators."""

    def __init__(self, hidden_layer_sizes=(20, 7, 5), activation="relu", leaky_slope=0.01,
                 initialization=None, init_scale=0.01, l2=0.0, keep_prob=1.0,
                 optimizer="adam", learning_rate=0.001, beta=0.9, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, lr_decay=None, decay_rate=1.0, decay_steps=1, batch_size=64,
                 epochs=100, shuffle=True, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, backend="numpy", dtype="float64", random_state=None,
                 verbose=False, n_threads=None, warm_start=False, checkpoint_path=None,
                 checkpoint_every=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.leaky_slope = leaky_slope
        self.initialization = initialization
        self.init_scale = init_scale
        self.l2 = l2
        self.keep_prob = keep_prob
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.beta = beta
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lr_decay = lr_decay
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.batch_size = batch_size
        self.epochs = epochs
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.backend = backend
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.n_threads = n_threads
        self.warm_start = warm_start
        self.checkpoint_path = checkpoint_path
        self.checkpoint_every = checkpoint_every


_DEEP_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Widths n_1..n_{L-1} of the hidden layers.
    activation : {"relu", "leaky_relu", "tanh", "sigmoid"}
    leaky_slope : float
        Negative-side slope of leaky_relu, in [0, 1).
    initialization : {None, "zeros", "random", "xavier", "he"}
        None picks "he" for relu and leaky_relu, "xavier" for tanh and sigmoid.
    init_scale : float
        Multiplier of the standard normal draws for "random".
    l2 : float
        lambda of the L2 term lambda/(2m) sum ||W||^2.
    keep_prob : float or sequence of float
        Inverted-dropout keep probability, one for all hidden layers or one per
        hidden layer; never applied to input or output, nor at predict time.
    optimizer : {"gd", "momentum", "nesterov", "rmsprop", "adam"}
    learning_rate, beta, beta1, beta2, epsilon : float
    lr_decay : {None, "inverse", "exponential", "inverse_sqrt", "staircase"} or callable
    decay_rate : float
    decay_steps : int
    batch_size : int or None
        None is full-batch gradient descent, 1 is stochastic gradient descent.
    epochs : int
    shuffle : bool
        Reshuffle the examples every epoch (mini-batches only).
    early_stopping : bool
        Hold out validation_fraction (or use X_val, y_val), stop after
        n_iter_no_change epochs without a lower validation cost, keep the best
        parameters.
    validation_fraction : float
    n_iter_no_change : int
    backend : {"numpy", "numba", "cuda"}
    dtype : {"float64", "float32"}
    random_state : int, numpy.random.RandomState or None
        An int (or None, for fresh entropy) seeds every random stream of a fit. A legacy
        ``RandomState`` draws the initial weights itself, in the course's order, so
        ``np.random.RandomState(3)`` with ``initialization="xavier"`` starts where the
        course's ``np.random.seed(3)`` does; the other streams are seeded from its state.
        Seeds initialization, shuffling, the validation split and dropout.
    verbose : bool
    n_threads : int or None
        Threads of the numba backend during fit and predict; None keeps Numba's setting.
        The previous count is restored afterwards.
    warm_start : bool
        Continue from the fitted parameters, optimizer state, learning-rate schedule and
        shuffling stream instead of starting afresh. `epochs` counts per call; n_iter_
        and history_ count over all calls.
    checkpoint_path : path or None
        Model file written every `checkpoint_every` epochs and at the end of the fit.
        ``{params}`` in it becomes a digest of the hyperparameters and ``{fit}`` an id of
        the fit: a search's clones then write files of their own
        (``"ckpt/{params}-{fit}.npz"``).
    checkpoint_every : int or None

    Attributes
    ----------
    params_ : list of (W, b)
        W of shape (n_l, n_{l-1}) and b of shape (n_l,) per layer.
    history_ : dict of lists
        "loss" per epoch, plus "val_loss" and "val_score" with validation data.
    n_features_in_, n_iter_ : int
"""


class DeepNeuralNetwork(_DeepParams, _Classifier):
    __doc__ = """L-layer classifier: hidden layers, then sigmoid (two classes) or softmax.
""" + _DEEP_DOC + """    classes_ : ndarray of shape (n_classes,)
"""


class DeepNeuralNetworkRegressor(_DeepParams, BaseNetwork):
    __doc__ = """L-layer regressor: hidden layers, an identity output and half mean squared error.
""" + _DEEP_DOC

    _estimator_type = "regressor"

    def _check_targets(self, y, n_samples, name="y"):
        return V.check_y(y, n_samples, name, numeric=True, owner=type(self).__name__)

    def _set_classes(self, y, classes=None, partial=False):
        self._y_ndim = np.ndim(y)

    def _targets_state(self, header, arrays):
        header["y_ndim"] = self._y_ndim

    def _set_targets_state(self, header, arrays, spec):
        self._y_ndim = header.get("y_ndim", 1)

    def _check_warm_targets(self, y, classes=None):
        if np.ndim(y) != self._y_ndim:
            raise ValueError(f"y has {np.ndim(y)} dimensions, the model was fitted with "
                             f"{self._y_ndim}")

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing the model: streaming and out-of-core training.

        Each call continues the parameters, the optimizer state, the step counter (which
        keys the dropout masks), the learning-rate schedule and the shuffling stream, so k
        calls on the same data give the parameters of ``fit`` with ``epochs=k``. `epochs`
        and `early_stopping` do not apply; ``n_iter_`` grows by one per call.
        `sample_weight` weighs this call's examples, normalized within the call as in `fit`.

        Returns
        -------
        self
        """
        return self._partial_fit(X, y, None, sample_weight)

    def _output_activation(self):
        return "identity"

    def _encode_targets(self, y, dtype):
        y = np.asarray(y, dtype=dtype)
        return np.ascontiguousarray(y[None, :] if y.ndim == 1 else y.T)

    def predict(self, X):
        """Predictions of shape (n_samples,), or (n_samples, n_outputs) for 2-D targets."""
        A = self._output(X)
        return A[0].copy() if self._y_ndim == 1 else np.ascontiguousarray(A.T)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2, averaged over outputs; with weights, the
        weighted sums of squares around the weighted mean."""
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        pred = np.asarray(self.predict(X), dtype=np.float64).reshape(len(y), -1)
        sw = V.check_sample_weight(sample_weight, len(y))
        if sw is None:
            ss_res = ((y - pred) ** 2).sum(axis=0)
            ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        else:
            ss_res = sw @ ((y - pred) ** 2)
            ss_tot = sw @ ((y - sw @ y / sw.sum()) ** 2)
        r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
                      np.where(ss_res > 0, 0.0, 1.0))
        return float(r2.mean())
