"""The training core shared by every estimator: parameters, fit loop, cost and gradients."""
import dataclasses
import hashlib
import inspect
import numbers
import time
import uuid
import warnings

import numpy as np

import kernels
from kernels.spec import HIDDEN_ACTIVATIONS, NetSpec, OptSpec, OPTIMIZERS

from . import model_io
from . import validation as V
from .saved_state import SavedState
from .initializers import INITIALIZATIONS, initial_theta
from .schedules import SCHEDULES, learning_rates

DTYPES = ("float32", "float64")
#: Upper bound on the int64 entries of the per-call permutation block.
_PERM_BLOCK = 4_000_000
#: Wall time a chunk of epochs (one compiled call) aims at.
_CHUNK_SECONDS = 0.2


def _streams(random_state):
    """The generators of a fit (initial weights, shuffling, validation split) and the seed
    sequences they come from, the fourth one seeding dropout.

    An int or None seeds all four from one SeedSequence. A legacy RandomState draws the
    initial weights itself, as the course's ``np.random.seed(n)`` followed by ``randn`` does,
    and seeds the other streams from its state without drawing from it.
    """
    if isinstance(random_state, np.random.RandomState):
        _, words, position = random_state.get_state()[:3]
        seeds = np.random.SeedSequence([int(w) for w in words] + [int(position)]).spawn(4)
        init_rng = random_state
    else:
        seeds = np.random.SeedSequence(random_state).spawn(4)
        init_rng = np.random.default_rng(seeds[0])
    return (init_rng, np.random.default_rng(seeds[1]), np.random.default_rng(seeds[2]), seeds)


class TrainingDivergedWarning(RuntimeWarning):
    """The cost became NaN or infinite; training stopped at the last finite parameters."""


class ParamsMixin:
    """get_params/set_params with scikit-learn semantics, without depending on it."""

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p for p in sig.parameters if p != "self")

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; "
                                 f"valid parameters are {valid}")
            setattr(self, key, value)
        return self

    def __sklearn_tags__(self):
        """Estimator tags for scikit-learn >= 1.6; imported only when scikit-learn asks."""
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags
        kind = getattr(self, "_estimator_type", None)
        return Tags(estimator_type=kind,
                    target_tags=TargetTags(required=kind is not None,
                                           multi_output=kind == "regressor"),
                    classifier_tags=ClassifierTags() if kind == "classifier" else None,
                    regressor_tags=RegressorTags() if kind == "regressor" else None)

    def __repr__(self):
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if not (v is defaults.get(k) or (type(v) is type(defaults.get(k))
                                                      and v == defaults.get(k)))]
        return f"{type(self).__name__}({', '.join(changed)})"


class BaseNetwork(ParamsMixin, SavedState):
    """Fully-connected network trained by mini-batch gradient descent.

    Subclasses set the hyperparameters in ``__init__`` and define the output
    layer through `_encode_targets` and `_output_activation`.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            model_io.register(cls)

    # Defaults of hyperparameters that a subclass does not expose.
    _fixed = dict(hidden_layer_sizes=(), activation="relu", leaky_slope=0.01,
                  initialization="zeros", init_scale=0.01, l2=0.0, keep_prob=1.0,
                  optimizer="gd", beta=0.9, beta1=0.9, beta2=0.999, epsilon=1e-8,
                  lr_decay=None, decay_rate=1.0, decay_steps=1, batch_size=None,
                  shuffle=True, early_stopping=False, validation_fraction=0.1,
                  n_iter_no_change=10, n_threads=None, warm_start=False, checkpoint_path=None,
                  checkpoint_every=None)

    def _hp(self, name):
        return getattr(self, name) if hasattr(self, name) else self._fixed[name]

    # ---------------------------------------------------------- validation
    def _check_hyperparameters(self):
        hp = self._hp
        sizes = hp("hidden_layer_sizes")
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"hidden_layer_sizes must be a sequence of positive integers, "
                            f"got {sizes!r}") from None
        for n in sizes:
            V.check_number("hidden_layer_sizes entry", n, 1, integer=True)
        V.check_choice("activation", hp("activation"), HIDDEN_ACTIVATIONS)
        V.check_number("leaky_slope", hp("leaky_slope"), 0.0, 1.0, high_open=True)
        init = hp("initialization")
        if init is not None:
            V.check_choice("initialization", init, INITIALIZATIONS)
        V.check_number("init_scale", hp("init_scale"), 0.0, low_open=True)
        V.check_number("l2", hp("l2"), 0.0)
        keep = hp("keep_prob")
        keeps = (keep,) * len(sizes) if isinstance(keep, numbers.Real) else tuple(keep)
        if len(keeps) != len(sizes):
            raise ValueError(f"keep_prob has {len(keeps)} entries but there are "
                             f"{len(sizes)} hidden layers")
        for k in keeps:
            V.check_number("keep_prob", k, 0.0, 1.0, low_open=True)
        V.check_choice("optimizer", hp("optimizer"), OPTIMIZERS)
        V.check_number("learning_rate", self.learning_rate, 0.0, low_open=True)
        for name in ("beta", "beta1", "beta2"):
            V.check_number(name, hp(name), 0.0, 1.0, high_open=True)
        V.check_number("epsilon", hp("epsilon"), 0.0, low_open=True)
        decay = hp("lr_decay")
        if decay is not None and not callable(decay):
            V.check_choice("lr_decay", decay, SCHEDULES)
        V.check_number("decay_rate", hp("decay_rate"), 0.0, low_open=True)
        V.check_number("decay_steps", hp("decay_steps"), 1, integer=True)
        if hp("batch_size") is not None:
            V.check_number("batch_size", hp("batch_size"), 1, integer=True)
        V.check_number("epochs", self.epochs, 1, integer=True)
        V.check_number("validation_fraction", hp("validation_fraction"), 0.0, 1.0,
                       low_open=True, high_open=True)
        V.check_number("n_iter_no_change", hp("n_iter_no_change"), 1, integer=True)
        V.check_choice("dtype", self.dtype, DTYPES)
        V.check_choice("backend", self.backend, tuple(kernels.BACKENDS))
        rs = self.random_state
        if rs is not None and not isinstance(rs, np.random.RandomState):
            V.check_number("random_state", rs, 0, integer=True)
        if self._hp("n_threads") is not None:
            V.check_number("n_threads", self._hp("n_threads"), 1, integer=True)
        if self._hp("checkpoint_every") is not None:
            V.check_number("checkpoint_every", self._hp("checkpoint_every"), 1, integer=True)
            if self._hp("checkpoint_path") is None:
                raise ValueError("checkpoint_every needs a checkpoint_path to write to")
        return sizes, tuple(float(k) for k in keeps)

    def _threads(self):
        """Context that runs the backend's kernels with n_threads threads, then restores."""
        return kernels.get_backend(self.backend).num_threads(self._hp("n_threads"))

    # ---------------------------------------------------------------- fit
    def fit(self, X, y, X_val=None, y_val=None, callback=None, sample_weight=None):
        """Train on X of shape (n_samples, n_features) and y of shape (n_samples,).

        X_val and y_val, when given, are scored after every epoch (and used by
        early stopping instead of a held-out fraction). `callback(epoch, history)`, when
        given, is called after every epoch (epoch counts from 1); training then returns
        to Python once per epoch instead of once per fit.

        `sample_weight` (n_samples,) weighs each example's cost: the cost of the whole set
        is J = (sum_i s_i L_i + lambda/2 sum_l ||W_l||^2) / sum_i s_i. A mini-batch of m_b
        examples is normalized by m_b times the mean weight of the training set, so that
        its cost estimates J without bias, and a batch of zero weights is no division by
        zero. Integer weights of a full batch train as repeated rows. Validation data,
        given or held out, is scored without weights.

        Returns
        -------
        self
        """
        hidden, keeps = self._check_hyperparameters()
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {callback!r}")
        with self._threads():
            return self._fit(hidden, keeps, X, y, X_val, y_val, callback,
                             sample_weight=sample_weight)

    def _partial_fit(self, X, y, classes, sample_weight):
        """One epoch over (X, y), continuing the model; see the subclasses' `partial_fit`."""
        hidden, keeps = self._check_hyperparameters()
        with self._threads():
            return self._fit(hidden, keeps, X, y, None, None, partial=True, classes=classes,
                             sample_weight=sample_weight)

    def _fit(self, hidden, keeps, X, y, X_val, y_val, callback=None, partial=False,
             classes=None, sample_weight=None):
        """Check and set up everything, then train. A fit refused before its first epoch
        leaves the model as it was (a fitted model stays fitted, with its classes)."""
        before = dict(self.__dict__)
        try:
            trainer, shuffle_rng, X_val, y_val, batch, first_epoch, history = self._set_up(
                hidden, keeps, X, y, X_val, y_val, partial, classes, sample_weight)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        epochs = 1 if partial else int(self.epochs)
        early = bool(self._hp("early_stopping")) and not partial
        self._train(trainer, shuffle_rng, X_val, y_val, batch, callback, first_epoch, history,
                    epochs, early)
        return self

    def _set_up(self, hidden, keeps, X, y, X_val, y_val, partial=False, classes=None,
                sample_weight=None):
        """The trainer and everything `_train` needs, once the data has passed every check.

        A partial fit, or a fit with warm_start, continues a fitted model; `classes`, given
        to a classifier's partial fit, fixes its labels.
        """
        backend = kernels.get_backend(self.backend)
        # the trainer checks that X is finite, where it holds X (a GPU checks its copy)
        X = V.check_X(X, finite=False)
        y = self._check_targets(y, X.shape[0])
        sw = V.check_sample_weight(sample_weight, X.shape[0])
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together")
        warm = (partial or bool(self._hp("warm_start"))) and hasattr(self, "params_")
        if warm and X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input")
        self.n_features_in_ = X.shape[1]
        init_rng, shuffle_rng, split_rng, seeds = _streams(self.random_state)
        if warm:
            self._check_warm_targets(y, classes)
            if getattr(self, "_shuffle_state", None) is not None:
                shuffle_rng.bit_generator.state = self._shuffle_state
            dropout_seed = self._dropout_seed
        else:
            self._set_classes(y, classes, partial)
            dropout_seed = int(seeds[3].generate_state(1, np.uint64)[0])
        if X_val is not None:
            X_val = V.check_X(X_val, "X_val", X.shape[1])
            y_val = self._check_targets(y_val, X_val.shape[0], "y_val")
        elif self._hp("early_stopping") and not partial:
            m_val = max(1, int(round(self._hp("validation_fraction") * X.shape[0])))
            if m_val >= X.shape[0]:
                raise ValueError("validation_fraction leaves no training examples")
            order = split_rng.permutation(X.shape[0])
            X_val, y_val = X[order[:m_val]], y[order[:m_val]]
            X, y = X[order[m_val:]], y[order[m_val:]]
            if sw is not None:
                sw = V.check_sample_weight(sw[order[m_val:]], X.shape[0])
            if not V.all_finite(X_val):
                raise ValueError("X contains NaN or infinity")
        dtype = np.dtype(self.dtype)
        Y = self._encode_targets(y, dtype)
        activation = self._hp("activation")
        spec = NetSpec((X.shape[1],) + hidden + (Y.shape[0],), activation,
                       self._output_activation(), float(self._hp("leaky_slope")),
                       float(self._hp("l2")), (1.0,) + keeps + (1.0,))
        opt = OptSpec(self._hp("optimizer"), float(self._hp("beta")), float(self._hp("beta1")),
                      float(self._hp("beta2")), float(self._hp("epsilon")))
        if warm:
            if spec.sizes != self._spec.sizes or dtype != self._theta.dtype:
                raise ValueError(f"warm_start needs the fitted architecture {self._spec.sizes} "
                                 f"and dtype {self._theta.dtype}; got {spec.sizes} and {dtype}")
            theta, step, first_epoch = self._theta.copy(), self._step, self.n_iter_
            states = (tuple(s.copy() for s in self._opt_states) if opt.name == self._opt.name
                      else tuple(np.zeros_like(theta) for _ in range(opt.n_states)))
            history = {k: list(v) for k, v in self.history_.items()}
        else:
            init = self._hp("initialization") or ("he" if activation in ("relu", "leaky_relu")
                                                  else "xavier")
            theta = initial_theta(spec, init, float(self._hp("init_scale")), init_rng, dtype)
            states = tuple(np.zeros_like(theta) for _ in range(opt.n_states))
            step, first_epoch, history = 0, 0, {"loss": []}
        if X_val is not None:
            history.setdefault("val_loss", [])
            history.setdefault("val_score", [])
        Xs = np.ascontiguousarray(X, dtype=dtype)  # no copy when X already has the dtype
        m = Xs.shape[0]
        batch = m if self._hp("batch_size") is None else min(int(self._hp("batch_size")), m)
        w, train_spec = self._weighted(spec, sw, dtype)
        trainer = backend.make_trainer(theta, states, Xs, np.ascontiguousarray(Y.T), train_spec,
                                       opt, batch, dropout_seed, step, sample_weight=w)
        if not trainer.check_finite():
            raise ValueError("X contains NaN or infinity")
        self._spec, self._opt, self._dropout_seed = spec, opt, dropout_seed
        return trainer, shuffle_rng, X_val, y_val, batch, first_epoch, history

    def _train(self, trainer, shuffle_rng, X_val, y_val, batch, callback, first_epoch, history,
               epochs, early):
        """Run the epochs in chunks: one compiled call per chunk, Python between chunks.

        Chunks are single epochs when something must run after every epoch (validation,
        verbose output, a callback); otherwise they grow until a call takes about
        `_CHUNK_SECONDS`, so that Ctrl-C, checkpoints and progress stay responsive without
        returning to Python after every epoch. After each chunk the model holds that
        chunk's parameters; on KeyboardInterrupt it keeps those of the last completed
        chunk and re-raises.
        """
        m = trainer.X.shape[0]
        lrs = learning_rates(float(self.learning_rate), epochs, self._hp("lr_decay"),
                             float(self._hp("decay_rate")), int(self._hp("decay_steps")),
                             first_epoch)
        shuffle = bool(self._hp("shuffle")) and batch < m
        per_epoch = X_val is not None or bool(self.verbose) or callback is not None
        every = self._hp("checkpoint_every")
        path = self._checkpoint_file()
        chunk, done = 1, 0
        best, best_theta, since_best = np.inf, None, 0
        self._shuffle_state = shuffle_rng.bit_generator.state
        self._finish(trainer, history, first_epoch, snapshot=True)
        try:
            while done < epochs:
                n = min(chunk, epochs - done)
                if every:
                    n = min(n, every - (first_epoch + done) % every)
                perms = np.empty((n, m), np.int64)
                perms[:] = np.arange(m)
                if shuffle:  # one permutation per epoch, the stream of n calls of permutation(m)
                    shuffle_rng.permuted(perms, axis=1, out=perms)
                started = time.perf_counter()
                losses = trainer.run(perms, lrs[done:done + n])
                elapsed = time.perf_counter() - started
                finite = int(np.argmin(np.isfinite(losses))) if not np.all(
                    np.isfinite(losses)) else n
                history["loss"].extend(float(v) for v in losses[:finite])
                done += finite
                self._shuffle_state = shuffle_rng.bit_generator.state
                self._finish(trainer, history, first_epoch + done, snapshot=True)
                if finite < n:
                    warnings.warn(
                        f"the cost became NaN or infinite in epoch {first_epoch + done + 1}; "
                        "training stopped and the model keeps the last finite parameters "
                        "(a smaller learning_rate, or standardized inputs, usually help)",
                        TrainingDivergedWarning, stacklevel=4)
                    break
                if X_val is not None:
                    history["val_loss"].append(self.cost(X_val, y_val))
                    history["val_score"].append(self.score(X_val, y_val))
                if path is not None and every and (first_epoch + done) % every == 0:
                    self.save(path)
                if callback is not None:
                    callback(first_epoch + done, history)
                if self.verbose:
                    extra = (f", val_loss {history['val_loss'][-1]:.6g}"
                             if X_val is not None else "")
                    print(f"epoch {first_epoch + done}/{first_epoch + epochs}: "
                          f"loss {history['loss'][-1]:.6g}{extra}")
                if early:
                    if history["val_loss"][-1] < best:
                        best, best_theta, since_best = history["val_loss"][-1], \
                            self._theta.copy(), 0
                    else:
                        since_best += 1
                        if since_best >= int(self._hp("n_iter_no_change")):
                            break
                if not per_epoch:
                    per_call = elapsed / max(n, 1)
                    chunk = int(max(1, min(_CHUNK_SECONDS / max(per_call, 1e-9),
                                           _PERM_BLOCK // m)))
        except KeyboardInterrupt:
            self._restore_snapshot()
            raise
        if early and best_theta is not None:
            self._adopt(best_theta)
        if path is not None:
            self.save(path)

    def _checkpoint_file(self):
        """This fit's checkpoint path: ``checkpoint_path`` with ``{params}`` replaced by a
        digest of the hyperparameters and ``{fit}`` by an id of this fit, so that the clones
        of a search (same path, other parameters or folds) never write one file."""
        path = self._hp("checkpoint_path")
        if path is None or "{" not in str(path):
            return path
        digest = hashlib.sha256(repr(sorted(self.get_params().items())).encode())
        return str(path).format(params=digest.hexdigest()[:12], fit=uuid.uuid4().hex[:12])

    def _finish(self, trainer, history, n_iter, snapshot=False):
        """Make the model reflect the trainer after a completed chunk."""
        self._adopt(trainer.get_theta())
        self._opt_states = trainer.get_states()
        self._step = trainer.step
        self.history_ = history
        self.n_iter_ = n_iter
        if snapshot:  # the trainer keeps updating live arrays during the next chunk
            self._snapshot = (self._theta.copy(), tuple(s.copy() for s in self._opt_states),
                              self._step, {k: list(v) for k, v in history.items()}, n_iter)

    def _restore_snapshot(self):
        theta, states, step, history, n_iter = self._snapshot
        self._adopt(theta)
        self._opt_states, self._step, self.history_, self.n_iter_ = states, step, history, n_iter

    def _adopt(self, theta):
        self._theta = theta
        self.params_ = self._spec.unpack(theta)

    @staticmethod
    def _weighted(spec, sample_weight, dtype):
        """(w, spec) for the kernels, whose cost is (1/m) sum_i w_i L_i + lambda/(2m) ||W||^2:
        weights s become w = s m / sum(s), of mean 1, and lambda becomes lambda m / sum(s),
        which makes it (sum_i s_i L_i + lambda/2 ||W||^2) / sum(s). (None, spec) without
        weights."""
        if sample_weight is None:
            return None, spec
        m, total = sample_weight.shape[0], float(sample_weight.sum())
        w = (sample_weight * (m / total)).astype(dtype)
        return w, dataclasses.replace(spec, l2=spec.l2 * m / total)

    # ------------------------------------------------------------ copies
    def __getstate__(self):
        """The state without what θ rebuilds: pickles, deep copies and the copies that
        searches send between processes carry θ once, plus the optimizer state."""
        state = dict(self.__dict__)
        state.pop("params_", None)  # views of _theta, which pickle would write again
        state.pop("_snapshot", None)  # only a fit in progress restores it
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "_theta" in state:
            self._adopt(self._theta)

    # ------------------------------------------------------------ inference
    def _kernel_input(self, X):
        V.check_is_fitted(self)
        X = V.check_X(X, n_features=self.n_features_in_, owner=type(self).__name__)
        return np.ascontiguousarray(X.T, dtype=self._theta.dtype)

    def _output(self, X):
        """Network output of shape (n_L, n_samples)."""
        Xk = self._kernel_input(X)
        with self._threads():
            return np.asarray(kernels.get_backend(self.backend).network_output(
                self._theta, Xk, self._spec))

    def _cost_inputs(self, X, y, sample_weight):
        """X and Y in the kernels' layout, with the weights and spec of `_weighted`."""
        Xk = self._kernel_input(X)
        Y = self._encode_targets(self._check_targets(y, Xk.shape[1]), self._theta.dtype)
        sw = V.check_sample_weight(sample_weight, Xk.shape[1])
        return (Xk, Y) + self._weighted(self._spec, sw, self._theta.dtype)

    def cost(self, X, y, sample_weight=None):
        """J on (X, y): the cost with its L2 term, without dropout; weighted as in `fit`."""
        Xk, Y, w, spec = self._cost_inputs(X, y, sample_weight)
        with self._threads():
            return float(kernels.get_backend(self.backend).network_cost(
                self._theta, Xk, Y, spec, sample_weight=w))

    def gradients(self, X, y, sample_weight=None):
        """Gradient of `cost` at the current parameters: a list of (dW, db) per layer."""
        Xk, Y, w, spec = self._cost_inputs(X, y, sample_weight)
        with self._threads():
            _, grad = kernels.get_backend(self.backend).cost_and_gradients(
                self._theta, Xk, Y, spec, sample_weight=w)
        grad = np.asarray(grad)
        return [(dW.copy(), db.copy()) for dW, db in self._spec.unpack(grad)]

    def save(self, path):
        """Write the model to `path` as .npz arrays plus a JSON header; return the path written."""
        return model_io.save(self, path)
