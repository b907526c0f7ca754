"""The course's football network (20, 3) without regularization, with L2 and with dropout,
each with its bias/variance diagnosis (the test set as the dev set).

    python examples/football_regularization.py --data-dir ../shared/datasets [--backend numba]
"""
from _common import parse_args, report

import nn
from nn.course import FOOTBALL_BASELINE, experiments

args = parse_args(__doc__)
for group, name, make, load in experiments(args.data_dir, args.backend, scale=1.0):
    if group == "football":
        X, y, X_val, y_val = load()
        model = make().fit(X, y)
        report(name, model, X, y, X_val, y_val)
        print(nn.diagnose(model, X, y, X_val, y_val, FOOTBALL_BASELINE))
