"""Parameter initialization: zeros, random, xavier and he."""
import numpy as np

INITIALIZATIONS = ("he", "random", "xavier", "zeros")


def initial_theta(spec, initialization, init_scale, rng, dtype):
    """Flat parameter vector for `spec`; biases start at zero.

    Each W^{[l]} of shape (n_l, n_{l-1}) is drawn as standard normal times
    init_scale ("random"), sqrt(1 / n_{l-1}) ("xavier") or sqrt(2 / n_{l-1})
    ("he"), or set to zero ("zeros"). Draws happen in float64, layer by layer,
    so the same generator gives the same weights in either dtype.
    """
    theta = np.zeros(spec.n_params, dtype=np.float64)
    if initialization != "zeros":
        for (W, _), n_prev in zip(spec.unpack(theta), spec.sizes[:-1]):
            scale = {"random": init_scale, "xavier": np.sqrt(1.0 / n_prev),
                     "he": np.sqrt(2.0 / n_prev)}[initialization]
            W[...] = rng.standard_normal(W.shape) * scale
    return theta.astype(dtype)
