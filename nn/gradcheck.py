"""Gradient checking by two-sided numerical differences."""
import numpy as np

import kernels


def gradient_check(model, X, y, epsilon=1e-7):
    """Relative difference between the numerical and the analytic gradient of `model.cost`.

    Parameters
    ----------
    model : fitted estimator
        Any backend; use dtype float64 for a meaningful check.
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
    epsilon : float
        Step of the two-sided difference (J(θ+ε) − J(θ−ε)) / 2ε.

    Returns
    -------
    float
        ||dθ_approx − dθ|| / (||dθ_approx|| + ||dθ||); below 1e-7 means the
        backpropagation is right.
    """
    analytic = np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in
                               model.gradients(X, y)])
    Xk = model._kernel_input(X)
    Y = model._encode_targets(model._check_targets(y, Xk.shape[1]), model._theta.dtype)
    backend = kernels.get_backend(model.backend)
    theta = model._theta.copy()
    approx = np.empty_like(analytic)
    for i in range(theta.size):
        old = theta[i]
        theta[i] = old + epsilon
        plus = backend.network_cost(theta, Xk, Y, model._spec)
        theta[i] = old - epsilon
        minus = backend.network_cost(theta, Xk, Y, model._spec)
        theta[i] = old
        approx[i] = (plus - minus) / (2 * epsilon)
    denom = np.linalg.norm(approx) + np.linalg.norm(analytic)
    return 0.0 if denom == 0 else float(np.linalg.norm(approx - analytic) / denom)
