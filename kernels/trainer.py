"""Training state held between calls of a backend's ``train_epochs``."""
import numpy as np


def all_finite(arr, chunk_bytes=1 << 22):
    """Whether every element is finite, checked in row chunks so no data-sized mask is made."""
    if arr.dtype.kind not in "fc":
        return True
    rows = max(1, chunk_bytes // max(1, arr[:1].nbytes))
    return all(np.isfinite(arr[i:i + rows]).all() for i in range(0, len(arr), rows))


class HostTrainer:
    """Trainer for backends whose arrays live in host memory (numpy, numba).

    Parameters
    ----------
    train_epochs : callable
        The backend's ``train_epochs`` op.
    theta : ndarray of shape (n_params,)
    states : tuple of ndarray of shape (n_params,)
    X : ndarray of shape (m, n_0), C-contiguous (sample-major)
    Y : ndarray of shape (m, n_L), C-contiguous
    spec, opt : NetSpec, OptSpec
    batch_size : int
    seed : int
        Dropout seed.
    step : int
        Steps already taken (non-zero when training continues).
    **extra
        Keyword arguments passed on to ``train_epochs`` (workspaces).
    """

    def __init__(self, train_epochs, theta, states, X, Y, spec, opt, batch_size, seed,
                 step=0, **extra):
        self._train_epochs = train_epochs
        self.theta, self.states = theta, tuple(states)
        self.X, self.Y = X, Y
        self.spec, self.opt = spec, opt
        self.batch_size, self.seed, self.step = int(batch_size), int(seed), int(step)
        self.extra = extra

    @property
    def steps_per_epoch(self):
        return -(-self.X.shape[0] // self.batch_size)

    def check_finite(self):
        """Whether every element of the training data X is finite (the estimators ask
        once, before training)."""
        return all_finite(self.X)

    def run(self, perms, lrs):
        """Train len(lrs) epochs; return the loss of each as a host array."""
        losses = self._train_epochs(self.theta, self.states, self.X, self.Y, perms,
                                    np.asarray(lrs, dtype=np.float64), self.spec, self.opt,
                                    self.batch_size, self.seed, self.step, **self.extra)
        self.step += self.steps_per_epoch * len(lrs)
        return np.asarray(losses)

    def get_theta(self):
        """The parameters on the host: the live array, which later epochs keep updating."""
        return self.theta

    def get_states(self):
        """The optimizer states on the host (live arrays)."""
        return self.states
