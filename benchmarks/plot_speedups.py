"""Render the newest asv results' speedups over the numpy backend to a PNG bar chart.

    asv run --python=same --set-commit-hash $(git rev-parse HEAD) -b track_speedup
    python benchmarks/plot_speedups.py [--results .asv/results] [--out benchmarks/speedups.png]
"""
import argparse
import itertools
from pathlib import Path

from asv.results import iter_results


def newest_results(results_dir):
    runs = list(iter_results(str(results_dir)))
    if not runs:
        raise SystemExit(f"no asv results under {results_dir}; run asv first (see the README)")
    return max(runs, key=lambda r: r.date)


def speedups(results):
    """{benchmark name: {parameter label: speedup}} for every track_speedup of a run."""
    out = {}
    for key in sorted(results.get_all_result_keys()):
        if not key.endswith(".track_speedup"):
            continue
        params = results.get_result_params(key)
        values = results.get_result_value(key, params)
        cls = key.split(".")[-2]
        for combo, value in zip(itertools.product(*params), values):
            if value is None or value != value or combo[0].strip("'") == "numpy":
                continue  # not run (None), skipped (NaN: cuda without a GPU), or the baseline
            label = " ".join(p.strip("'") for p in combo)
            out.setdefault(cls, {})[label] = value
    return out


def describe(results):
    """'machine name (cpu, n cores), date' of a run, from asv's machine record."""
    import datetime
    params = results.params
    when = datetime.datetime.fromtimestamp(results.date / 1000, datetime.timezone.utc)
    cpu = ", ".join(str(v) for v in (params.get("cpu"), params.get("num_cpu") and
                                     f"{params['num_cpu']} cores") if v)
    return f"{params.get('machine', '?')} ({cpu}), {when:%Y-%m-%d}"


def plot(data, machine, commit, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    groups = [("Training workloads (one fit)", {k: v for k, v in data.items() if k.startswith("W")}),
              ("Kernels", {k: v for k, v in data.items() if not k.startswith("W")})]
    rows = [len([1 for v in g.values() for _ in v]) for _, g in groups]
    fig, axes = plt.subplots(2, 1, figsize=(9, 0.28 * sum(rows) + 2.5),
                             gridspec_kw={"height_ratios": [max(r, 1) for r in rows]})
    for ax, (title, group) in zip(axes, groups):
        labels, values = [], []
        for cls, by_param in group.items():
            for label, value in by_param.items():
                labels.append(f"{cls}  {label}")
                values.append(value)
        ax.barh(range(len(values)), values,
                color=["tab:green" if v >= 1 else "tab:red" for v in values])
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_yticks(range(len(values)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("speedup over the numpy backend (x, log scale)")
        ax.set_title(title)
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:.1f}x", va="center", fontsize=7)
    fig.suptitle(f"nnkernels speedups over numpy, commit {commit[:8]}\n{machine}", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", default=Path(__file__).resolve().parents[1] / ".asv" / "results")
    p.add_argument("--out", default=Path(__file__).resolve().parent / "speedups.png")
    args = p.parse_args()
    results = newest_results(args.results)
    plot(speedups(results), describe(results), results.commit_hash, args.out)


if __name__ == "__main__":
    main()
