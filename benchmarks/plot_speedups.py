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
            if value is None or combo[0].strip("'") == "numpy":
                continue
            label = " ".join(p.strip("'") for p in combo)
            out.setdefault(cls, {})[label] = value
    return out


def plot(data, machine, commit, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    workloads = {k: v for k, v in data.items() if k.startswith("W")}
    ops = {k: v for k, v in data.items() if not k.startswith("W")}
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [1, 2.6]})
    for ax, group, title in ((axes[0], workloads, "Training workloads (one fit)"),
                             (axes[1], ops, "Kernels")):
        labels, values = [], []
        for cls, by_param in group.items():
            for label, value in by_param.items():
                labels.append(f"{cls}\n{label}")
                values.append(value)
        colors = ["tab:green" if v >= 1 else "tab:red" for v in values]
        ax.bar(range(len(values)), values, color=colors)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_xticks(range(len(values)), labels, rotation=90, fontsize=7)
        ax.set_ylabel("speedup over numpy (x, log scale)")
        ax.set_title(title)
        for x, v in enumerate(values):
            ax.text(x, v, f"{v:.1f}", ha="center", va="bottom", fontsize=6)
    fig.suptitle(f"nnkernels speedups over the numpy backend — machine {machine}, "
                 f"commit {commit[:8]}")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", default=Path(__file__).resolve().parents[1] / ".asv" / "results")
    p.add_argument("--out", default=Path(__file__).resolve().parent / "speedups.png")
    args = p.parse_args()
    results = newest_results(args.results)
    plot(speedups(results), results.params.get("machine", "?"), results.commit_hash, args.out)


if __name__ == "__main__":
    main()
