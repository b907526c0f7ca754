"""Shared by the examples: where the course data lives and how results are printed."""
import argparse
import os
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-dir", default=os.environ.get("NN_DATA_DIR", DEFAULT_DIR),
                   help="folder with the course data sets (default: %(default)s)")
    p.add_argument("--backend", default="numpy", choices=["numpy", "numba", "cuda"])
    return p.parse_args()


def report(name, model, X_train, y_train, X_test, y_test):
    print(f"{name:<32} train accuracy {model.score(X_train, y_train):6.1%}   "
          f"test accuracy {model.score(X_test, y_test):6.1%}")
