"""The course's cat/non-cat models: logistic regression, a 2-layer and a 4-layer relu network.

    python examples/cat_classifiers.py --data-dir ../shared/datasets [--backend numba]
"""
from _common import parse_args, report

from nn.course import experiments

args = parse_args(__doc__)
for group, name, make, load in experiments(args.data_dir, args.backend, scale=1.0):
    if group == "cat":
        X_train, y_train, X_test, y_test = load()
        report(name, make().fit(X_train, y_train), X_train, y_train, X_test, y_test)
