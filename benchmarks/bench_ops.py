"""Per-op benchmarks: one class per op family, over backend x layer size x dtype.

Every ``time_`` method runs one op on inputs built in `setup`, where the op also runs once so
that compilation stays out of the timing. ``track_speedup`` returns how many times faster
the backend runs the family's main op than the numpy backend, both timed in the same call.
"""
import numpy as np

from benchmarks.common import BACKENDS, LAYER_SIZES, backend_or_skip, layer_inputs, speedup
from kernels import reference


class _OpFamily:
    params = (BACKENDS, list(LAYER_SIZES), ["float64", "float32"])
    param_names = ["backend", "size", "dtype"]

    def setup(self, backend, size, dtype):
        self.ops = backend_or_skip(backend)
        self.x = layer_inputs(size, dtype)
        self.main(self.ops)

    def track_speedup(self, backend, size, dtype):
        return speedup(lambda: self.main(self.ops), lambda: self.main(reference))

    track_speedup.unit = "x"


class LinearForward(_OpFamily):
    def main(self, ops):
        return ops.linear_forward(self.x["W"], self.x["b"], self.x["A_prev"], "relu")

    def time_linear_forward_relu(self, backend, size, dtype):
        self.main(self.ops)

    def time_linear_forward_sigmoid(self, backend, size, dtype):
        self.ops.linear_forward(self.x["W"], self.x["b"], self.x["A_prev"], "sigmoid")


class LinearBackward(_OpFamily):
    def main(self, ops):
        return ops.linear_backward(self.x["dZ"], self.x["A_prev"], self.x["W"], 0.1)

    def time_linear_backward(self, backend, size, dtype):
        self.main(self.ops)

    def time_linear_backward_first_layer(self, backend, size, dtype):
        self.ops.linear_backward(self.x["dZ"], self.x["A_prev"], self.x["W"], 0.1, False)


class Activation(_OpFamily):
    def main(self, ops):
        return ops.activation_backward(self.x["dZ"], self.x["dZ"], "tanh")

    def time_activation_forward_tanh(self, backend, size, dtype):
        self.ops.activation_forward(self.x["dZ"], "tanh")

    def time_activation_backward_tanh(self, backend, size, dtype):
        self.main(self.ops)

    def time_softmax(self, backend, size, dtype):
        self.ops.activation_forward(self.x["dZ"], "softmax")


class Dropout(_OpFamily):
    def main(self, ops):
        return ops.dropout_mask(7, 3, 1, self.x["dZ"].shape, 0.8, self.x["dZ"].dtype)

    def time_dropout_mask(self, backend, size, dtype):
        self.main(self.ops)

    def time_dropout_forward(self, backend, size, dtype):
        self.ops.dropout_forward(self.x["dZ"], self.x["D"], 0.8)


class OptimizerUpdate(_OpFamily):
    def setup(self, backend, size, dtype):
        x = layer_inputs(size, dtype)
        self.theta, self.grad = x["W"].ravel().copy(), x["W"].ravel() * 0.01
        self.v, self.s = np.zeros_like(self.theta), np.zeros_like(self.theta)
        super().setup(backend, size, dtype)

    def main(self, ops):
        return ops.adam_update(self.theta, self.grad, self.v, self.s, 1e-3, 5, 0.9, 0.999, 1e-8)

    def time_adam(self, backend, size, dtype):
        self.main(self.ops)

    def time_momentum(self, backend, size, dtype):
        self.ops.momentum_update(self.theta, self.grad, self.v, 1e-3, 0.9)

    def time_gd(self, backend, size, dtype):
        self.ops.gd_update(self.theta, self.grad, 1e-3)


class Cost(_OpFamily):
    def main(self, ops):
        return ops.binary_cross_entropy(self.x["dZ"][:1], self.x["Y"], [self.x["W"]], 0.1)

    def time_binary_cross_entropy(self, backend, size, dtype):
        self.main(self.ops)

    def time_categorical_cross_entropy(self, backend, size, dtype):
        Y = np.zeros_like(self.x["dZ"])
        Y[0] = 1
        self.ops.categorical_cross_entropy(self.x["dZ"], Y)
