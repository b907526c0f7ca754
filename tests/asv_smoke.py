"""Run every asv benchmark of ``benchmarks/`` once, in one process, at quick sizes.

Each benchmark class's ``setup_cache``, then for every parameter combination ``setup``
and each ``time_``, ``peakmem_``, ``mem_`` and ``track_`` method, as asv calls them; a
``timeraw_`` method's code runs in a fresh process, as asv runs it. A parameter set whose
``setup`` raises NotImplementedError is skipped, as asv skips it. Anything else that raises
fails the run. ``asv run`` would start a process per benchmark, each loading the compiled
kernels again; asv's own discovery and argument checks are ``asv check``'s job.

Usage: ``python tests/asv_smoke.py`` from the repository root; prints one line per
benchmark and ``ran N benchmarks``.
"""
import importlib
import inspect
import itertools
import numbers
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the benchmarks package
os.environ["NN_BENCH_SIZE"] = "quick"
os.environ.pop("NUMBA_ENABLE_CUDASIM", None)  # benchmarks see the machine as it is
KINDS = ("time_", "timeraw_", "peakmem_", "mem_", "track_")


def parameter_sets(cls):
    params = getattr(cls, "params", None)
    if params is None:
        return [()]
    names = getattr(cls, "param_names", [])
    grid = (len(names) > 1 or (len(params) == 1 and isinstance(params[0], (list, tuple))))
    return list(itertools.product(*params)) if grid else [(p,) for p in params]


def run_class(cls, report):
    methods = sorted(m for m in dir(cls) if m.startswith(KINDS))
    if not methods:
        return 0
    bench = cls()
    cached = (bench.setup_cache(),) if hasattr(cls, "setup_cache") else ()
    count = 0
    for params in parameter_sets(cls):
        args = cached + tuple(params)
        if hasattr(bench, "setup"):
            try:
                bench.setup(*args)
            except NotImplementedError:
                report(f"skipped {cls.__name__}{params}")
                continue
        for name in methods:
            result = getattr(bench, name)(*args)
            if name.startswith("timeraw_"):
                done = subprocess.run([sys.executable, "-c", result], capture_output=True,
                                      text=True)
                if done.returncode:
                    raise RuntimeError(f"{cls.__name__}.{name}{params}: {done.stderr[-3000:]}")
            elif name.startswith("track_") and not isinstance(result, numbers.Real):
                raise TypeError(f"{cls.__name__}.{name}{params} returned {result!r}")
            count += 1
        if hasattr(bench, "teardown"):
            bench.teardown(*args)
        report(f"ok {cls.__name__}{params}")
    return count


def main():
    import benchmarks
    total = 0
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"benchmarks.{info.name}")
        for name, cls in sorted(vars(module).items()):
            if inspect.isclass(cls) and cls.__module__ == module.__name__ \
                    and not name.startswith("_"):
                total += run_class(cls, print)
    print(f"ran {total} benchmarks")


if __name__ == "__main__":
    main()
