"""The course's cat/non-cat models: logistic regression, a 2-layer and a 4-layer relu network.

    python examples/cat_classifiers.py --data-dir ../shared/datasets [--backend numba]
"""
import nn
from nn.datasets import load_catvnoncat

from _common import parse_args, report

args = parse_args(__doc__)
X_train, y_train, X_test, y_test = load_catvnoncat(args.data_dir)
models = {
    "logistic regression": nn.LogisticRegression(learning_rate=0.005, epochs=2000),
    "2-layer (7) relu": nn.DeepNeuralNetwork(
        hidden_layer_sizes=(7,), initialization="random", init_scale=0.01, optimizer="gd",
        learning_rate=0.0075, batch_size=None, epochs=2500, random_state=1),
    "4-layer (20, 7, 5) relu": nn.DeepNeuralNetwork(
        hidden_layer_sizes=(20, 7, 5), initialization="xavier", optimizer="gd",
        learning_rate=0.0075, batch_size=None, epochs=2500, random_state=1),
}
for name, model in models.items():
    model.set_params(backend=args.backend).fit(X_train, y_train)
    report(name, model, X_train, y_train, X_test, y_test)
