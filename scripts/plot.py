#!/usr/bin/python3
"""Charts for a ptbench run directory, from its summary.csv: PNG and SVG into DIR/charts/.

Usage: /usr/bin/python3 scripts/plot.py RUN_DIR
Exit 0 with the charts written, 2 on bad input, 3 when matplotlib is missing (the report then
says how to install it: apt-get install python3-matplotlib).
"""
import csv
import math
import os
import sys


def load(run_dir):
    path = os.path.join(run_dir, "summary.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("median", "p25", "p75", "payload_bytes"):
            try:
                r[k] = float(r[k]) if r[k] != "" else math.nan
            except ValueError:
                r[k] = math.nan
        r["params_map"] = dict(p.split("=", 1) for p in r["params"].split(";") if "=" in p)
    return rows


def pick(rows, suite, metric):
    return [r for r in rows if r["suite"] == suite and r["metric"] == metric and not math.isnan(r["median"])]


def save(fig, run_dir, name):
    out = os.path.join(run_dir, "charts")
    os.makedirs(out, exist_ok=True)
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, f"{name}.{ext}"), dpi=110, bbox_inches="tight")


def creation(plt, rows, run_dir):
    # The headline: each mechanism from the minimal parent, parent and child on one CPU.
    data = [
        r
        for r in pick(rows, "create", "real_time")
        if r["params_map"].get("rss_mib") == "0" and "parent" not in r["params_map"] and r["placement"] == "same-cpu"
    ]
    if not data:
        return
    labels = [r["mechanism"] + ("" if "interval" not in r["params_map"] else "\n" + r["params_map"]["interval"]) for r in data]
    med = [r["median"] / 1e3 for r in data]
    err = [[(r["median"] - r["p25"]) / 1e3 for r in data], [(r["p75"] - r["median"]) / 1e3 for r in data]]
    colors = ["tab:blue" if r["endpoint"] == "thread" else "tab:red" for r in data]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.bar(range(len(data)), med, yerr=err, color=colors, capsize=3)
    ax.set_xticks(range(len(data)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("µs per create + wait (log)")
    ax.set_title("Creation cost from a minimal parent, one CPU (blue: threads, red: processes; bars p25-p75)")
    save(fig, run_dir, "creation")
    plt.close(fig)


def fork_memory(plt, rows, run_dir):
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    drawn = False
    for mech, color in (("fork", "tab:red"), ("vfork", "tab:orange"), ("pthread", "tab:blue")):
        pts = sorted(
            (float(r["params_map"]["rss_mib"]), r["median"] / 1e3)
            for r in pick(rows, "create", "real_time")
            if r["mechanism"] == mech
            and r["placement"] == "same-cpu"
            and "rss_mib" in r["params_map"]
            and "interval" not in r["params_map"]
            and "parent" not in r["params_map"]
        )
        if len(pts) >= 2:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=color, label=mech)
            drawn = True
    if not drawn:
        plt.close(fig)
        return
    ax.set_xlabel("parent's resident memory (MiB of touched ballast)")
    ax.set_yscale("log")
    ax.set_ylabel("µs per create + wait (log)")
    ax.set_title("fork copies page tables: cost against the parent's memory")
    ax.legend()
    save(fig, run_dir, "fork_memory")
    plt.close(fig)


def switch(plt, rows, run_dir):
    data = [r for r in pick(rows, "switch", "real_time") if r["params_map"].get("tasks") == "2" and r["params_map"].get("ws_kib") == "0"]
    if not data:
        return
    groups = sorted({(r["mechanism"], r["placement"]) for r in data})
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.4
    for i, endpoint in enumerate(("process", "thread")):
        vals = []
        for g in groups:
            m = [r["median"] / 1e3 for r in data if (r["mechanism"], r["placement"]) == g and r["endpoint"] == endpoint]
            vals.append(m[0] if m else 0)
        ax.bar([x + i * width for x in range(len(groups))], vals, width, label=endpoint,
               color="tab:red" if endpoint == "process" else "tab:blue")
    ax.set_xticks([x + width / 2 for x in range(len(groups))])
    ax.set_xticklabels([f"{m} {p}" for m, p in groups], fontsize=8, rotation=40, ha="right")
    ax.set_ylabel("µs per round trip (two hand-offs)")
    ax.set_title("Hand-off round trip: process against thread (same-cpu: two context switches)")
    ax.legend()
    save(fig, run_dir, "switch")
    plt.close(fig)


def by_transport(rows, suite, metric, endpoint="process", placement="cross-cpu"):
    series = {}
    for r in pick(rows, suite, metric):
        if r["endpoint"] != endpoint or r["placement"] != placement:
            continue
        name = r["mechanism"] + (f" ({r['params_map']['policy']})" if "policy" in r["params_map"] else "")
        series.setdefault(name, []).append(r)
    return {k: sorted(v, key=lambda r: r["payload_bytes"]) for k, v in series.items()}


def ipc_latency(plt, rows, run_dir):
    series = by_transport(rows, "ipc_latency", "real_time")
    p99 = {(r["benchmark"]): r["median"] for r in pick(rows, "ipc_latency", "p99_ns")}
    if not series:
        return
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.set_prop_cycle(color=plt.cm.tab20.colors)
    for name, pts in series.items():
        x = [r["payload_bytes"] for r in pts]
        y = [r["median"] / 1e3 for r in pts]
        line, = ax.plot(x, y, "o-", label=name)
        tail = [p99.get(r["benchmark"], r["median"]) / 1e3 for r in pts]
        ax.fill_between(x, y, tail, color=line.get_color(), alpha=0.12)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("message size (bytes)")
    ax.set_ylabel("µs per round trip (band up to p99)")
    ax.set_title("IPC round trip between processes on two CPUs")
    ax.legend(fontsize=7, ncol=2)
    save(fig, run_dir, "ipc_latency")
    plt.close(fig)


def ipc_throughput(plt, rows, run_dir):
    series = by_transport(rows, "ipc_throughput", "bytes_per_second")
    if not series:
        return
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.set_prop_cycle(color=plt.cm.tab20.colors)
    for name, pts in series.items():
        ax.plot([r["payload_bytes"] for r in pts], [r["median"] / 1e9 for r in pts], "o-", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("message size (bytes)")
    ax.set_ylabel("GB/s, one way")
    ax.set_title("IPC streaming between processes on two CPUs")
    ax.legend(fontsize=7, ncol=2)
    save(fig, run_dir, "ipc_throughput")
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    run_dir = sys.argv[1]
    try:
        rows = load(run_dir)
    except (OSError, KeyError, csv.Error) as e:
        print(f"plot.py: cannot read {run_dir}/summary.csv: {e}", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: matplotlib is missing; install it with: apt-get install python3-matplotlib", file=sys.stderr)
        return 3
    for chart in (creation, fork_memory, switch, ipc_latency, ipc_throughput):
        chart(plt, rows, run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
