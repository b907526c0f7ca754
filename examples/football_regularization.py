"""The course's football network (20, 3) without regularization, with L2 and with dropout.

    python examples/football_regularization.py --data-dir ../shared/datasets [--backend numba]
"""
import nn
from nn.datasets import load_mat

from _common import parse_args, report

args = parse_args(__doc__)
X, y, X_val, y_val = load_mat(f"{args.data_dir}/data.mat")
base = dict(hidden_layer_sizes=(20, 3), initialization="xavier", optimizer="gd",
            learning_rate=0.3, batch_size=None, epochs=30000, random_state=3,
            backend=args.backend)
for name, extra in [("no regularization", {}), ("L2, lambda = 0.7", {"l2": 0.7}),
                    ("dropout, keep_prob = 0.86", {"keep_prob": 0.86})]:
    model = nn.DeepNeuralNetwork(**base, **extra).fit(X, y)
    report(name, model, X, y, X_val, y_val)
