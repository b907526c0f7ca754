"""Bias and variance, as the course tells them apart, and what to try next for each.

Avoidable bias is the training error above the baseline (Bayes or human-level) error;
variance is the dev error above the training error. The larger gap names the problem:
high bias calls for a bigger network or longer training, high variance for more data or
regularization (L2, dropout).
"""
from dataclasses import dataclass

import numpy as np

from . import validation as V

#: A gap below this share of the scale (1 for error rates, the variance of y for a mean
#: squared error) counts as small.
SMALL_GAP = 0.01


@dataclass(frozen=True)
class Diagnosis:
    """The report of `diagnose`; ``print`` it, or read its fields.

    Attributes
    ----------
    metric : str
        "error rate" (classifiers) or "mean squared error" (regressors).
    baseline_error, train_error, dev_error : float
    avoidable_bias : float
        train_error - baseline_error.
    variance : float
        dev_error - train_error.
    verdict : str
        "high bias", "high variance", or "low bias and low variance" when both gaps are
        below `small`.
    advice : tuple of str
        Next steps for the verdict, in the estimator's hyperparameters.
    small : float
        The gap below which bias or variance counts as low, in the metric's unit.
    """

    metric: str
    baseline_error: float
    train_error: float
    dev_error: float
    avoidable_bias: float
    variance: float
    verdict: str
    advice: tuple
    small: float

    def __str__(self):
        return (f"{self.verdict}: avoidable bias {self.avoidable_bias:.4g}, variance "
                f"{self.variance:.4g} (train {self.metric} {self.train_error:.4g}, dev "
                f"{self.dev_error:.4g}, baseline {self.baseline_error:.4g})\n"
                f"  try: {'; '.join(self.advice)}")


def verdict(avoidable_bias, variance, small):
    """The course's reading of the two gaps: the larger one dominates, unless both are small."""
    if max(avoidable_bias, variance) < small:
        return "low bias and low variance"
    return "high bias" if avoidable_bias >= variance else "high variance"


def advice(model, reading):
    """Next steps for `reading` (a `verdict`), phrased in `model`'s own hyperparameters."""
    params = model.get_params()
    hidden = tuple(params.get("hidden_layer_sizes", ()))
    l2 = float(params.get("l2", 0.0))
    keep = params.get("keep_prob", 1.0)
    keep = min(keep) if np.ndim(keep) else float(keep)
    epochs = int(params["epochs"])
    if reading == "high bias":
        bigger = (f"hidden_layer_sizes={tuple(2 * n for n in hidden)}" if hidden else
                  "nn.DeepNeuralNetwork(hidden_layer_sizes=(20, 7, 5)), a network with "
                  "hidden layers")
        steps = [f"a bigger network: {bigger}", f"training longer: epochs={2 * epochs}"]
        if l2 > 0 or keep < 1.0:
            steps.append(f"less regularization: l2={l2 / 10:g}"
                         + (", keep_prob=1.0" if keep < 1.0 else ""))
        if params.get("optimizer", "gd") != "adam":
            steps.append('optimizer="adam"')
        return tuple(steps)
    if reading == "high variance":
        steps = ["more training data", f"L2 regularization: l2={max(10 * l2, 0.1):g}"]
        if hidden:
            lower = 0.85 if keep >= 1.0 else max(0.5, round(keep - 0.15, 2))
            steps.append(f"dropout: keep_prob={lower:g}")
            if "early_stopping" in params and not params["early_stopping"]:
                steps.append("early_stopping=True")
        return tuple(steps)
    return ("nothing: the model is close to the baseline and generalizes; check it on the "
            "test set",)


def diagnose(model, X_train, y_train, X_dev, y_dev, baseline_error=0.0):
    """Tell avoidable bias from variance for a fitted model, as the course does.

    Parameters
    ----------
    model : fitted estimator
        A classifier is judged by its error rate, 1 - accuracy; a regressor by the mean
        squared error of its predictions (averaged over outputs).
    X_train, y_train : arrays of shape (n_train, n_features) and (n_train,)
        The data it was trained on.
    X_dev, y_dev : arrays of shape (n_dev, n_features) and (n_dev,)
        Held-out data from the distribution it will meet.
    baseline_error : float
        Bayes or human-level error in the metric's unit: within [0, 1] for a classifier,
        non-negative for a regressor.

    Returns
    -------
    Diagnosis
        avoidable bias = train error - baseline, variance = dev error - train error, the
        verdict and the next steps; ``print`` shows it in a few lines.
    """
    V.check_is_fitted(model)
    classifier = getattr(model, "_estimator_type", None) == "classifier"
    high = 1.0 if classifier else None
    V.check_number("baseline_error", baseline_error, 0.0, high)
    errors = [_error(model, X, y, name, classifier)
              for X, y, name in ((X_train, y_train, "train"), (X_dev, y_dev, "dev"))]
    train_error, dev_error = errors
    if classifier:
        small = SMALL_GAP
    else:
        small = SMALL_GAP * float(np.var(np.asarray(y_train, dtype=np.float64)) or 1.0)
    bias, variance = train_error - float(baseline_error), dev_error - train_error
    reading = verdict(bias, variance, small)
    return Diagnosis("error rate" if classifier else "mean squared error", float(baseline_error),
                     train_error, dev_error, bias, variance, reading, advice(model, reading),
                     small)


def _error(model, X, y, name, classifier):
    X = V.check_X(X, f"X_{name}", model.n_features_in_, owner=type(model).__name__)
    y = np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y_{name} has {y.shape[0]} samples but X_{name} has {X.shape[0]}")
    if classifier:
        return 1.0 - model.score(X, y)
    pred = np.asarray(model.predict(X), dtype=np.float64).reshape(len(y), -1)
    return float(np.mean((np.asarray(y, dtype=np.float64).reshape(len(y), -1) - pred) ** 2))
