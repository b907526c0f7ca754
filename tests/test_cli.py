"""The command line and the data set helpers."""
import subprocess
import sys

import numpy as np
import pytest

import nn
from nn import datasets
from nn.cli import main
from tests.conftest import data_file


def test_train_writes_model_and_plots(tmp_path, capsys):
    assert main(["train", "--epochs", "30", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "flower" in out and "train accuracy" in out and "dev accuracy" in out
    assert "ms per epoch" in out
    report = [line for line in out.splitlines() if "avoidable bias" in line]
    assert len(report) == 1 and report[0].split(":")[0] in ("high bias", "high variance",
                                                            "low bias and low variance")
    assert "baseline 0)" in report[0]
    for name in ("model.npz", "cost.png", "decision_boundary.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert not (tmp_path / "learning_curve.png").exists()  # only with --plots
    model = nn.load(tmp_path / "model.npz")
    assert model.n_iter_ == 30 and model.hidden_layer_sizes == (16, 8)


def test_train_options_and_data_file(tmp_path, capsys):
    X, y = datasets.make_blobs(120, centers=3, n_features=3, random_state=0)
    np.savez(tmp_path / "blobs.npz", X=X, y=y)
    argv = ["train", "--data", str(tmp_path / "blobs.npz"), "--hidden-layer-sizes", "6",
            "--optimizer", "momentum", "--learning-rate", "0.05", "--epochs", "20",
            "--keep-prob", "0.9", "--backend", "numpy", "--dtype", "float32",
            "--out", str(tmp_path / "o"), "--quiet"]
    assert main(argv) == 0
    model = nn.load(tmp_path / "o" / "model.npz")
    assert model.optimizer == "momentum" and model.keep_prob == 0.9
    assert model.params_[0][0].dtype == np.float32 and len(model.classes_) == 3
    assert not (tmp_path / "o" / "decision_boundary.png").exists()  # 3-D data


def test_train_plots_the_learning_curve_and_takes_a_baseline(tmp_path, capsys):
    pytest.importorskip("sklearn")
    argv = ["train", "--epochs", "20", "--out", str(tmp_path), "--quiet", "--plots",
            "--baseline-error", "0.1", "--backend", "numpy"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "baseline 0.1)" in out and "try: " in out
    assert (tmp_path / "learning_curve.png").stat().st_size > 0


def test_train_skips_a_learning_curve_that_would_take_long(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(nn.cli, "_CURVE_SECONDS", 0.0)
    assert main(["train", "--epochs", "5", "--out", str(tmp_path), "--quiet", "--plots",
                 "--backend", "numpy"]) == 0
    assert "no learning curve: its 15 fits would take about" in capsys.readouterr().out
    assert not (tmp_path / "learning_curve.png").exists()


def test_predict_writes_csv(tmp_path):
    X, y = datasets.make_moons(60, random_state=0)
    model = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=5, random_state=0).fit(X, y)
    model.save(tmp_path / "m.npz")
    np.savetxt(tmp_path / "x.csv", X, delimiter=",", header="a,b", comments="")
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "x.csv"),
                 "--output", str(tmp_path / "p.csv")]) == 0
    lines = (tmp_path / "p.csv").read_text().split()
    assert lines[0] == "prediction"
    np.testing.assert_array_equal(np.array(lines[1:], dtype=int), model.predict(X))


@pytest.mark.parametrize("argv,message", [
    (["train", "--activation", "swish"], "activation='swish' is not valid"),
    (["train", "--epochs", "abc"], "invalid int value"),
    (["train", "--data", "missing.csv"], "missing.csv not found"),
    (["train", "--data", "x.txt"], "unknown data format"),
    (["predict", "nope.npz", "x.csv"], "nope.npz not found"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("1,2\n")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_module_entry_point_and_not_a_model(tmp_path):
    (tmp_path / "x.csv").write_text("1,2\n")
    out = subprocess.run([sys.executable, "-m", "nn", "predict", str(tmp_path / "x.csv"),
                          str(tmp_path / "x.csv")], capture_output=True, text=True)
    assert out.returncode == 2 and "not an .npz archive" in out.stderr
    assert "Traceback" not in out.stderr


def test_bench_and_gradcheck(capsys):
    assert main(["bench", "W1", "--repeats", "1", "--backends", "numpy", "numba"]) == 0
    out = capsys.readouterr().out
    assert "W1" in out and "numba" in out and "x" in out
    assert main(["gradcheck", "--backends", "numpy"]) == 0
    out = capsys.readouterr().out
    assert out.count("numpy") == 12 and "agrees" in out


def test_course_quick(tmp_path, capsys):
    data_file("data.mat")
    results = nn.course.run_course(data_file("data.mat").parent, backend="numba", scale=0.1,
                                   out=tmp_path)
    assert ("cat", "logistic regression") in results
    assert results["football", "(20, 3) relu, L2, lambda 0.7"][1] > 0.85
    football = results["football", "(20, 3) relu, no regularization"]
    assert football.diagnosis.baseline_error == nn.course.FOOTBALL_BASELINE
    assert results["cat", "logistic regression"].diagnosis is None
    assert capsys.readouterr().out.count("avoidable bias") == 3
    assert results["circles", "(10, 5) relu, zeros init"][0] == pytest.approx(0.5, abs=0.05)
    assert (tmp_path / "course_moons.png").exists()


def test_generators_are_seeded_and_shaped():
    for make in (datasets.make_planar, datasets.make_moons, datasets.make_circles,
                 datasets.make_blobs):
        X1, y1 = make(100, random_state=3)
        X2, y2 = make(100, random_state=3)
        assert X1.shape == (100, 2) and y1.shape == (100,)
        np.testing.assert_array_equal(X1, X2)
        assert not np.array_equal(X1, make(100, random_state=4)[0])
    X, y = datasets.make_circles(200, noise=0.0, factor=0.3, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_csv_loader(tmp_path):
    (tmp_path / "d.csv").write_text("x1,x2,kind\n1,2,cat\n3,4,dog\n")
    X, y = datasets.load_csv(tmp_path / "d.csv", label="kind")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert list(y) == ["cat", "dog"]
    (tmp_path / "n.csv").write_text("0,1.5,2\n1,2.5,3\n")
    X, y = datasets.load_csv(tmp_path / "n.csv", label="first")
    np.testing.assert_array_equal(y, [0, 1])
    with pytest.raises(ValueError, match="no label column 'nope'"):
        datasets.load_csv(tmp_path / "d.csv", label="nope")
