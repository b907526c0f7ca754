"""Searches and streaming on a Dask LocalCluster (2 single-threaded worker processes on
loopback), against the same work in this process."""
import numpy as np
import pytest

import nn
from tests.conftest import toy_classification

distributed = pytest.importorskip("distributed")
dask_ml = pytest.importorskip("dask_ml")
sklearn = pytest.importorskip("sklearn")
import dask.array as da  # noqa: E402
import joblib  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402,F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, host="127.0.0.1",
                                       env=nn.distributed.worker_env(1))
    with cluster, distributed.Client(cluster) as c:
        yield c


def _scores(search):
    return {k: np.asarray(v) for k, v in search.cv_results_.items()
            if k.startswith(("mean_test", "split", "rank", "param_", "n_resources"))}


def test_prepare_sets_up_every_worker(client, tmp_path):
    """The per-node cache folder and the pool size on each worker (numpy here: nothing to
    compile; the numba search below compiles on the workers, and `nn.warmup`, which
    `prepare` runs there, has its own tests)."""
    info = nn.distributed.prepare(client, backend="numpy", cache_dir=str(tmp_path / "c-{host}"))
    assert len(info) == 2
    for worker in info.values():
        assert worker["numba_threads"] == 1  # worker_env sized the pool before Numba started
        assert worker["cache_dir"] == str(tmp_path / f"c-{worker['host']}")
        assert (tmp_path / f"c-{worker['host']}").is_dir()
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        nn.distributed.worker_env(0)
    with pytest.raises(ValueError, match="dtype='float16' is not valid"):
        nn.distributed.prepare(client, dtypes=("float16",))


def test_grid_search_on_the_cluster_equals_one_process(client):
    X, y = toy_classification(n=90, n_classes=3)
    grid = {"learning_rate": [1e-3, 1e-2], "keep_prob": [1.0, 0.8]}
    est = nn.DeepNeuralNetwork(hidden_layer_sizes=(6,), epochs=10, batch_size=16,
                               random_state=0, backend="numba", n_threads=1)
    local = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = GridSearchCV(est, grid, cv=3).fit(X, y)
    assert remote.best_params_ == local.best_params_
    for key, want in _scores(local).items():
        np.testing.assert_array_equal(_scores(remote)[key], want, err_msg=key)


def test_successive_halving_over_epochs(client):
    X, y = toy_classification(n=120, n_classes=2)
    est = nn.DeepNeuralNetwork(hidden_layer_sizes=(5,), batch_size=32, random_state=0,
                               backend="numpy")
    grid = {"learning_rate": [1e-4, 1e-3, 1e-2], "activation": ["relu", "tanh", "sigmoid"]}
    kw = dict(resource="epochs", min_resources=2, max_resources=18, factor=3, cv=3,
              random_state=0)
    local = HalvingGridSearchCV(est, grid, n_jobs=1, **kw).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = HalvingGridSearchCV(est, grid, **kw).fit(X, y)
    assert remote.best_params_ == local.best_params_
    assert sorted(set(local.cv_results_["n_resources"])) == [2, 6, 18]
    for key, want in _scores(local).items():
        np.testing.assert_array_equal(_scores(remote)[key], want, err_msg=key)


@pytest.mark.parametrize("kind", ["random", "halving random"])
def test_random_searches_on_the_cluster_equal_one_process(client, kind):
    from scipy import stats
    from sklearn.model_selection import HalvingRandomSearchCV, RandomizedSearchCV
    X, y = toy_classification(n=90)
    est = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=6, batch_size=16,
                               random_state=0, backend="numpy")
    space = {"learning_rate": stats.loguniform(1e-4, 1e-1), "l2": [0.0, 0.3, 1.0]}
    if kind == "random":
        make = lambda **kw: RandomizedSearchCV(est, space, n_iter=5, cv=3,  # noqa: E731
                                               random_state=0, **kw)
    else:
        make = lambda **kw: HalvingRandomSearchCV(  # noqa: E731
            est, space, n_candidates=6, resource="epochs", min_resources=2, max_resources=6,
            factor=3, cv=3, random_state=0, **kw)
    local = make(n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = make().fit(X, y)
    assert remote.best_params_ == local.best_params_
    for key, want in _scores(local).items():
        np.testing.assert_array_equal(_scores(remote)[key], want, err_msg=key)


def test_incremental_over_a_chunked_array_equals_the_block_loop(client):
    X, y = toy_classification(n=200, n_classes=3)
    kw = dict(hidden_layer_sizes=(6,), batch_size=16, random_state=0, backend="numpy")
    Xd, yd = da.from_array(X, chunks=(50, 3)), da.from_array(y, chunks=50)
    inc = dask_ml.wrappers.Incremental(nn.DeepNeuralNetwork(**kw), shuffle_blocks=False)
    inc.fit(Xd, yd, classes=[0, 1, 2])
    loop = nn.DeepNeuralNetwork(**kw)
    for start in range(0, 200, 50):
        loop.partial_fit(X[start:start + 50], y[start:start + 50], classes=[0, 1, 2])
    np.testing.assert_array_equal(inc.estimator_._theta, loop._theta)
    assert inc.estimator_.n_iter_ == 4


def test_search_clones_write_checkpoints_of_their_own(client, tmp_path):
    X, y = toy_classification(n=60)
    est = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=2, random_state=0,
                               checkpoint_path=str(tmp_path / "ckpt-{params}-{fit}.npz"))
    with joblib.parallel_config(backend="dask"):
        GridSearchCV(est, {"l2": [0.0, 0.1]}, cv=2, refit=False).fit(X, y)
    assert len(list(tmp_path.glob("ckpt-*.npz"))) == 4  # 2 settings x 2 folds


def test_search_command_end_to_end(client, tmp_path, capsys):
    from nn.cli import main
    argv = ["search", "--scheduler", client.scheduler.address, "--backend", "numpy",
            "--learning-rate", "1e-3:1e-1:log", "--keep-prob", "0.8,1.0", "--n-iter", "4",
            "--epochs", "3:5", "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "searching 4 settings x 3 folds" in out and "test accuracy" in out
    lines = (tmp_path / "search.csv").read_text().splitlines()
    assert lines[0].startswith("rank,epochs,keep_prob,learning_rate,mean_test_accuracy")
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2", "3", "4"]
    scores = [float(line.split(",")[4]) for line in lines[1:]]
    assert scores == sorted(scores, reverse=True)
    assert (tmp_path / "search.png").stat().st_size > 0
    assert main(["search", "--scheduler", client.scheduler.address]) == 2
    assert "give at least one hyperparameter" in capsys.readouterr().err
    assert main(["search", "--learning-rate", "1:0.1:log"]) == 2
    assert "LOW must be below HIGH" in capsys.readouterr().err


def test_search_spaces_parse_by_the_hyperparameter_type():
    from scipy import stats
    from nn.search import candidates, parse_space
    assert parse_space("keep_prob", "0.7,0.9,1.0", 1.0) == [0.7, 0.9, 1.0]
    assert parse_space("hidden_layer_sizes", "16-8,32", (20, 7, 5)) == [(16, 8), (32,)]
    assert parse_space("batch_size", "32,none", 64) == [32, None]
    assert parse_space("early_stopping", "true,false", False) == [True, False]
    assert parse_space("activation", "relu,tanh", "relu") == ["relu", "tanh"]
    log = parse_space("learning_rate", "1e-4:1e-1:log", 0.001)
    assert isinstance(log.dist, type(stats.loguniform(1e-4, 1e-1).dist))
    assert parse_space("epochs", "10:20", 100).rvs(50, random_state=0).max() <= 20
    grid = candidates({"l2": [0.0, 0.1], "activation": ["relu", "tanh"]}, 99, 0)
    assert len(grid) == 4
    assert len(candidates({"l2": [0.0, 0.1], "learning_rate": log}, 7, 0)) == 7
    with pytest.raises(ValueError, match="a log range needs LOW > 0"):
        parse_space("l2", "0:1:log", 0.0)


def test_a_worker_killed_mid_search_does_not_stop_it(client):
    """A worker process killed (SIGKILL) when the first fit of twelve has finished: the
    nanny restarts it, Dask runs its lost fits again, and the search completes."""
    import functools
    import os
    import signal
    from nn.search import run_search
    X, y = toy_classification(n=90)
    make = functools.partial(nn.DeepNeuralNetwork, hidden_layer_sizes=(4,), epochs=400,
                             backend="numpy", random_state=0)
    victim, pid = sorted(client.run(os.getpid).items())[0]
    killed = []

    def kill_after_the_first(done, total):
        if done == 1:
            os.kill(pid, signal.SIGKILL)
            killed.append(total)
    rows = run_search(client, make, {"l2": [0.0, 0.1, 0.3, 1.0]}, X, y,
                      progress=kill_after_the_first)
    assert killed == [12]
    assert len(rows) == 4 and all(np.isfinite(r["mean_test"]) for r in rows)
    client.wait_for_workers(2, timeout=30)
    assert victim not in client.scheduler_info()["workers"]  # it died, and was replaced


def test_ctrl_c_cancels_a_search_cleanly(tmp_path):
    """SIGINT in the middle of `nn search` on its own local cluster: exit status 130, one
    line, the cluster shut down (the process ends), and no results written."""
    import signal
    import subprocess
    import sys
    import time
    # pytest-xdist's workers ignore SIGINT, and a child inherits that: restore the default,
    # as a terminal has it
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn", "search", "--workers", "1", "--backend", "numpy",
         "--l2", "0.0,0.1,0.3,1.0,3.0", "--epochs", "3000", "--out", str(tmp_path), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while "searching" not in proc.stdout.readline() and time.monotonic() < deadline:
        pass
    time.sleep(1.0)  # the fits have started on the worker
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, err[-2000:]
    assert "nnkernels: interrupted" in err
    assert not (tmp_path / "search.csv").exists()
