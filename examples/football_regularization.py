"""The course's football network (20, 3) without regularization, with L2 and with dropout.

    python examples/football_regularization.py --data-dir ../shared/datasets [--backend numba]
"""
from _common import parse_args, report

from nn.course import experiments

args = parse_args(__doc__)
for group, name, make, load in experiments(args.data_dir, args.backend, scale=1.0):
    if group == "football":
        X, y, X_val, y_val = load()
        report(name, make().fit(X, y), X, y, X_val, y_val)
