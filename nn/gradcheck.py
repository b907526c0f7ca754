"""Gradient checking by two-sided numerical differences."""
import numpy as np

import kernels


def gradient_check(model, X, y, epsilon=1e-7, sample_weight=None):
    """Relative difference between the numerical and the analytic gradient of `model.cost`.

    Parameters
    ----------
    model : fitted estimator
        Any backend; use dtype float64 for a meaningful check.
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
    epsilon : float
        Step of the two-sided difference (J(θ+ε) − J(θ−ε)) / 2ε.
    sample_weight : array of shape (n_samples,), optional
        Checks the gradient of the weighted cost, as `fit` weighs it.

    Returns
    -------
    float
        ||dθ_approx − dθ|| / (||dθ_approx|| + ||dθ||); below 1e-7 means the
        backpropagation is right.
    """
    analytic = np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in
                               model.gradients(X, y, sample_weight)])
    Xk, Y, w, spec = model._cost_inputs(X, y, sample_weight)
    backend = kernels.get_backend(model.backend)
    theta = model._theta.copy()
    approx = np.empty_like(analytic)
    for i in range(theta.size):
        old = theta[i]
        theta[i] = old + epsilon
        plus = backend.network_cost(theta, Xk, Y, spec, sample_weight=w)
        theta[i] = old - epsilon
        minus = backend.network_cost(theta, Xk, Y, spec, sample_weight=w)
        theta[i] = old
        approx[i] = (plus - minus) / (2 * epsilon)
    denom = np.linalg.norm(approx) + np.linalg.norm(analytic)
    return 0.0 if denom == 0 else float(np.linalg.norm(approx - analytic) / denom)
