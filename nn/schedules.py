"""Learning-rate decay schedules, evaluated once per epoch (epoch counts from 0)."""
import numpy as np

SCHEDULES = ("exponential", "inverse", "inverse_sqrt", "staircase")


def learning_rates(lr0, epochs, lr_decay=None, decay_rate=1.0, decay_steps=1, first_epoch=0):
    """Learning rate of each epoch in [first_epoch, first_epoch + epochs).

    Parameters
    ----------
    lr0 : float
        Initial learning rate alpha_0.
    lr_decay : None, str or callable
        None: constant; "inverse": alpha_0 / (1 + rate * epoch);
        "exponential": alpha_0 * rate ** epoch; "inverse_sqrt": alpha_0 / sqrt(epoch + 1);
        "staircase": alpha_0 / (1 + rate * floor(epoch / decay_steps));
        a callable maps the epoch number to the learning rate.

    Returns
    -------
    ndarray of shape (epochs,)
    """
    e = np.arange(first_epoch, first_epoch + epochs, dtype=np.float64)
    if lr_decay is None:
        return np.full(epochs, float(lr0))
    if callable(lr_decay):
        lrs = np.array([float(lr_decay(int(k))) for k in e])
        if not np.all(np.isfinite(lrs) & (lrs > 0)):
            raise ValueError("the lr_decay callable must return positive finite learning rates")
        return lrs
    if lr_decay == "inverse":
        return lr0 / (1.0 + decay_rate * e)
    if lr_decay == "exponential":
        return lr0 * decay_rate ** e
    if lr_decay == "inverse_sqrt":
        return lr0 / np.sqrt(e + 1.0)
    if lr_decay == "staircase":
        return lr0 / (1.0 + decay_rate * np.floor(e / decay_steps))
    raise ValueError(f"unknown lr_decay {lr_decay!r}; valid values are None, a callable, "
                     f"or one of {list(SCHEDULES)}")
