"""The tiny training problems that compile a backend's kernels ahead of its first fit."""
import numpy as np

from .spec import NetSpec, OptSpec


def cases(dtype, outputs=("sigmoid", "softmax", "identity")):
    """Yield (theta, states, X, Y, spec, opt) covering the output activations `outputs`,
    dropout, L2 and the stateless and stateful optimizers, in `dtype`; X and Y are
    sample-major. A backend whose code takes the output as a value at run time needs only
    one output beside softmax's own shape."""
    rng = np.random.default_rng(0)
    dt = np.dtype(dtype)
    X = rng.normal(size=(6, 3)).astype(dt)
    for output in outputs:
        n_out = 3 if output == "softmax" else 1
        Y = np.zeros((6, n_out), dt)
        Y[:, 0] = 1
        spec = NetSpec((3, 4, n_out), "relu", output, keep_probs=(1.0, 0.5, 1.0), l2=0.1)
        for name in ("gd", "adam"):
            opt = OptSpec(name)
            theta = rng.normal(size=spec.n_params).astype(dt)
            yield theta, tuple(np.zeros_like(theta) for _ in range(opt.n_states)), X, Y, spec, opt
