"""A fitted network's state as a model file holds it: `nn.model_io` writes `_state()` and
gives a file's state back through `_set_state`, so that it needs no estimator's internals."""
import numpy as np

from kernels.spec import NetSpec, OptSpec


class SavedState:
    """`_state` and `_set_state` of `BaseNetwork`; each estimator adds its targets' part
    (classes, or the targets' dimensions) through `_targets_state` and
    `_set_targets_state`."""

    def _state(self):
        """The fitted state, as a JSON-able header and arrays, for `model_io.save`."""
        spec, opt = self._spec, self._opt
        header = {
            "dtype": self._theta.dtype.name,
            "sizes": list(spec.sizes), "activation": spec.activation, "output": spec.output,
            "slope": spec.slope, "l2": spec.l2, "keep_probs": list(spec.keep_probs),
            "optimizer": [opt.name, opt.beta, opt.beta1, opt.beta2, opt.epsilon],
            "n_features_in": int(self.n_features_in_), "n_iter": int(self.n_iter_),
            "step": int(self._step), "history": self.history_,
            "dropout_seed": int(self._dropout_seed),
            "shuffle_state": getattr(self, "_shuffle_state", None),
        }
        arrays = {"theta": self._theta}
        arrays.update((f"state{i}", state) for i, state in enumerate(self._opt_states))
        self._targets_state(header, arrays)
        return header, arrays

    def _set_state(self, header, arrays):
        """Take back a state written by `_state`, checking every array against the header;
        ValueError naming what does not fit."""
        try:
            spec = NetSpec(header["sizes"], header["activation"], header["output"],
                           header["slope"], header["l2"], header["keep_probs"])
            opt = OptSpec(*header["optimizer"])
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"bad header ({exc})") from None
        theta = arrays["theta"]
        if header.get("dtype") not in ("float32", "float64") or theta.dtype.name != header["dtype"]:
            raise ValueError(f"parameters of dtype {theta.dtype} do not match the header")
        if theta.shape != (spec.n_params,):
            raise ValueError(f"{theta.shape} parameters do not fit layers {spec.sizes}")
        if not np.all(np.isfinite(theta)):
            raise ValueError("parameters are not finite")
        states = []
        for i in range(opt.n_states):
            s = arrays.get(f"state{i}")
            if s is None or s.shape != theta.shape or s.dtype != theta.dtype:
                raise ValueError(f"optimizer state {i} is missing or misshapen")
            states.append(s)
        self._set_targets_state(header, arrays, spec)
        if header["n_features_in"] != spec.sizes[0]:
            raise ValueError("n_features_in does not match the first layer")
        self._dropout_seed = int(header.get("dropout_seed", 0))
        self._shuffle_state = header.get("shuffle_state")
        self._spec, self._opt = spec, opt
        self._adopt(theta.copy())
        self._opt_states = tuple(s.copy() for s in states)
        self._step = header["step"]
        self.n_features_in_ = header["n_features_in"]
        self.n_iter_ = header["n_iter"]
        self.history_ = header["history"]
