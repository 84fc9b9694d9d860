#!/usr/bin/python3
"""Charts for a ptbench run directory, from its summary.csv: PNG and SVG into DIR/charts/.

Usage: /usr/bin/python3 scripts/plot.py RUN_DIR
       /usr/bin/python3 scripts/plot.py --check RUN_DIR
Exit 0 with the charts written, 2 on bad input, 3 when matplotlib is missing (the report then
says how to install it: apt-get install python3-matplotlib).

--check draws nothing and needs no matplotlib: it prints how many rows each chart selects and
exits 1 when a chart selects none. The harness's contract test runs it on a summary made from
`ptbench list`, so renaming a benchmark a chart relies on fails a test instead of silently
dropping the chart.
"""
import csv
import math
import os
import sys


def load(run_dir):
    path = os.path.join(run_dir, "summary.csv")
    facts = host_facts(run_dir)
    level, levels = facts.get("cross_cpu_level"), cross_levels(facts)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("median", "p25", "p75", "payload_bytes"):
            try:
                r[k] = float(r[k]) if r[k] != "" else math.nan
            except ValueError:
                r[k] = math.nan
        r["params_map"] = dict(p.split("=", 1) for p in r["params"].split(";") if "=" in p)
        r["run_level"] = level
        r["run_levels"] = levels
    return rows


def host_facts(run_dir):
    """host.csv as a dict (empty when the run has none)."""
    try:
        with open(os.path.join(run_dir, "host.csv"), newline="") as f:
            return {row[0]: row[1] for row in csv.reader(f) if len(row) == 2}
    except (OSError, csv.Error):
        return {}


def cross_levels(facts):
    """Levels across two CPUs, farthest first, in the order the run's host.csv lists them
    (placement_cpus: "same-cpu=0,0; smt=none; ...", written from the harness's one list), then
    "cross-cpu", the name of the pair in runs from before placements were named by level."""
    listed = facts.get("placement_cpus", "")
    names = [p.split("=", 1)[0].strip() for p in listed.split(";") if "=" in p]
    return tuple(reversed([n for n in names if n != "same-cpu"])) + ("cross-cpu",)


def reference_level(rows):
    """The placement the charts across CPUs show: the level the run recorded for the first and
    the last allowed CPU when it has rows there, else the farthest level it has."""
    have = {r["placement"] for r in rows}
    recorded = rows[0].get("run_level") if rows else None
    if recorded in have:
        return recorded
    levels = rows[0].get("run_levels", ("cross-cpu",)) if rows else ("cross-cpu",)
    return next((p for p in levels if p in have), "cross-cpu")


def pick(rows, suite, metric):
    return [r for r in rows if r["suite"] == suite and r["metric"] == metric and not math.isnan(r["median"])]


def save(fig, run_dir, name):
    out = os.path.join(run_dir, "charts")
    os.makedirs(out, exist_ok=True)
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, f"{name}.{ext}"), dpi=110, bbox_inches="tight")


def select_creation(rows):
    # The headline: each mechanism from the minimal parent, parent and child on one CPU.
    return [
        r
        for r in pick(rows, "create", "real_time")
        if r["params_map"].get("rss_mib") == "0" and "parent" not in r["params_map"] and r["placement"] == "same-cpu"
    ]


def creation(plt, data, rows, run_dir):
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


FORK_MEMORY_COLORS = (("fork", "tab:red"), ("vfork", "tab:orange"), ("pthread", "tab:blue"))


def select_fork_memory(rows):
    # Each mechanism's cost at every parent size; a mechanism with fewer than two sizes is left out.
    out = []
    for mech, _ in FORK_MEMORY_COLORS:
        pts = [
            r
            for r in pick(rows, "create", "real_time")
            if r["mechanism"] == mech
            and r["placement"] == "same-cpu"
            and "rss_mib" in r["params_map"]
            and "interval" not in r["params_map"]
            and "parent" not in r["params_map"]
        ]
        if len(pts) >= 2:
            out += pts
    return out


def fork_memory(plt, data, rows, run_dir):
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for mech, color in FORK_MEMORY_COLORS:
        pts = sorted((float(r["params_map"]["rss_mib"]), r["median"] / 1e3) for r in data if r["mechanism"] == mech)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=color, label=mech)
    ax.set_xlabel("parent's resident memory (MiB of touched ballast)")
    ax.set_yscale("log")
    ax.set_ylabel("µs per create + wait (log)")
    ax.set_title("fork copies page tables: cost against the parent's memory")
    ax.legend()
    save(fig, run_dir, "fork_memory")
    plt.close(fig)


def select_switch(rows):
    return [r for r in pick(rows, "switch", "real_time") if r["params_map"].get("tasks") == "2" and r["params_map"].get("ws_kib") == "0"]


def switch(plt, data, rows, run_dir):
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


def by_transport(rows, suite, metric, endpoint="process", placement=None):
    placement = placement or reference_level(rows)
    series = {}
    for r in pick(rows, suite, metric):
        if r["endpoint"] != endpoint or r["placement"] != placement:
            continue
        name = r["mechanism"] + (f" ({r['params_map']['policy']})" if "policy" in r["params_map"] else "")
        series.setdefault(name, []).append(r)
    return {k: sorted(v, key=lambda r: r["payload_bytes"]) for k, v in series.items()}


def outside_legend(ax, **kw):
    # Beside the plot, never over its data.
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, **kw)


def single_x(series, x_of):
    # True when every series has one point, all at one x: a line chart would be a stack of dots.
    xs = {x_of(r) for pts in series.values() for r in pts}
    return len(xs) == 1 and all(len(pts) == 1 for pts in series.values())


def bars(plt, items, xlabel, title, run_dir, name, floor=None, log=True):
    """Sorted horizontal bars with their p25-p75 interval; `floor` (label, value) as a line."""
    items = sorted(items, key=lambda it: it[1])
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(items) + 1)))
    y = range(len(items))
    err = [[it[1] - it[2] for it in items], [it[3] - it[1] for it in items]]
    ax.barh(list(y), [it[1] for it in items], xerr=err, color="tab:blue", capsize=2)
    ax.set_yticks(list(y))
    ax.set_yticklabels([it[0] for it in items], fontsize=8)
    if log:
        ax.set_xscale("log")
    if floor:
        ax.axvline(floor[1], color="tab:red", linestyle="--")
        xlabel += f" (dashed: {floor[0]})"
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    save(fig, run_dir, name)
    plt.close(fig)


def floor_value(rows, benchmark, metric="real_time"):
    for r in rows:
        if r["benchmark"] == benchmark and r["metric"] == metric and not math.isnan(r["median"]):
            return r["median"]
    return None


def finish_size_chart(plt, fig, ax, ylabel, title, run_dir, name):
    # A value against message size, both axes log, one line per transport.
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("message size (bytes)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    outside_legend(ax)
    save(fig, run_dir, name)
    plt.close(fig)


def select_ipc_latency(rows):
    return [r for pts in by_transport(rows, "ipc_latency", "real_time").values() for r in pts]


def ipc_latency(plt, data, rows, run_dir):
    series = by_transport(data, "ipc_latency", "real_time")
    if single_x(series, lambda r: r["payload_bytes"]):
        size = int(next(iter(series.values()))[0]["payload_bytes"])
        items = [(n, p[0]["median"] / 1e3, p[0]["p25"] / 1e3, p[0]["p75"] / 1e3) for n, p in series.items()]
        level = next(iter(series.values()))[0]["placement"]
        floor = floor_value(rows, f"BM_Floor/cacheline/process/{level}/64")
        bars(plt, items, "µs per round trip (log; bars p25-p75)", f"IPC round trip of {size} B between processes on two CPUs", run_dir, "ipc_latency",
             ("the cache-line round trip", floor / 1e3) if floor else None)
        return
    p99 = {(r["benchmark"]): r["median"] for r in pick(rows, "ipc_latency", "p99_ns")}
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.set_prop_cycle(color=plt.cm.tab20.colors)
    for name, pts in series.items():
        x = [r["payload_bytes"] for r in pts]
        y = [r["median"] / 1e3 for r in pts]
        line, = ax.plot(x, y, "o-", label=name)
        tail = [p99.get(r["benchmark"], r["median"]) / 1e3 for r in pts]
        ax.fill_between(x, y, tail, color=line.get_color(), alpha=0.12)
    finish_size_chart(plt, fig, ax, "µs per round trip (band up to p99)", "IPC round trip between processes on two CPUs", run_dir, "ipc_latency")


def select_ipc_throughput(rows):
    return [r for pts in by_transport(rows, "ipc_throughput", "bytes_per_second").values() for r in pts]


def ipc_throughput(plt, data, rows, run_dir):
    series = by_transport(data, "ipc_throughput", "bytes_per_second")
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.set_prop_cycle(color=plt.cm.tab20.colors)
    for name, pts in series.items():
        ax.plot([r["payload_bytes"] for r in pts], [r["median"] / 1e9 for r in pts], "o-", label=name)
    finish_size_chart(plt, fig, ax, "GB/s, one way", "IPC streaming between processes on two CPUs", run_dir, "ipc_throughput")


def select_ladder(rows):
    # Process, thread and fiber: creation on one CPU from the minimal parent, and a round trip of
    # two switches on one CPU.
    out = []
    for r in rows:
        if r["metric"] != "real_time" or math.isnan(r["median"]):
            continue
        p = r["params_map"]
        creation = r["suite"] == "create" and r["mechanism"] in ("fork", "pthread") and r["placement"] == "same-cpu" and p.get("rss_mib") == "0" and len(p) == 1
        switch = r["suite"] == "switch" and r["mechanism"] == "pipe" and r["placement"] == "same-cpu" and p.get("tasks") == "2" and p.get("ws_kib") == "0"
        fiber = r["benchmark"].startswith("BM_Fiber/")
        if creation or switch or fiber:
            out.append(r)
    return out


def ladder(plt, data, rows, run_dir):
    kinds = (("process", "tab:red"), ("thread", "tab:blue"), ("fiber", "tab:green"))

    def value(step, endpoint):
        for r in data:
            is_create = r["suite"] == "create" or r["mechanism"] == "create"
            if r["endpoint"] == endpoint and is_create == (step == "create"):
                return r["median"] / 1e3
        return 0

    fig, ax = plt.subplots(figsize=(7, 4.5))
    width = 0.27
    for i, (endpoint, color) in enumerate(kinds):
        ax.bar([x + i * width for x in range(2)], [value("create", endpoint), value("switch", endpoint)], width, label=endpoint, color=color)
    ax.set_xticks([x + width for x in range(2)])
    ax.set_xticklabels(["create (and end)", "round trip of two switches"])
    ax.set_yscale("log")
    ax.set_ylabel("µs (log)")
    ax.set_title("The ladder on one CPU: process, thread, fiber")
    ax.legend()
    save(fig, run_dir, "ladder")
    plt.close(fig)


def select_speedup(rows):
    # By the question's name: runs before 2026-12-02 had it in the suite "notes", later ones in "speedup".
    chosen = (r for r in rows if r["benchmark"].startswith("BM_Speedup/") and r["metric"] == "real_time" and not math.isnan(r["median"]))
    return sorted(chosen, key=lambda r: int(r["params_map"].get("threads", "0")))


def speedup(plt, data, rows, run_dir):
    one = [r["median"] for r in data if r["params_map"].get("threads") == "1"]
    if not one:
        return
    n = [int(r["params_map"]["threads"]) for r in data]
    s = [one[0] / r["median"] for r in data]
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.plot(n, s, "o-", color="tab:blue", label="measured")
    cpus = [r["median"] for r in rows if r["benchmark"].startswith("BM_Speedup/") and r["metric"] == "cpus" and not math.isnan(r["median"])]
    if cpus:
        ax.plot(n, [min(k, cpus[0]) for k in n], ":", color="gray", label=f"ideal on the run's {cpus[0]:.0f} CPUs")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("threads")
    ax.set_ylabel("speed-up over one thread")
    ax.set_title("A CPU-bound job split over more threads")
    ax.legend()
    save(fig, run_dir, "speedup")
    plt.close(fig)


def series_by(rows, suite, metric, key, endpoint=None):
    # One line per mechanism (with its policy), points sorted by a numeric parameter.
    out = {}
    for r in pick(rows, suite, metric):
        if key not in r["params_map"] or (endpoint and r["endpoint"] != endpoint):
            continue
        name = r["mechanism"] + (f" ({r['params_map']['policy']})" if "policy" in r["params_map"] else "")
        if suite != "server":
            name += f", {r['endpoint']}"
        out.setdefault(name, []).append(r)
    return {k: sorted(v, key=lambda r: float(r["params_map"][key])) for k, v in out.items()}


def select_server(rows):
    return [r for r in pick(rows, "server", "items_per_second") if r["payload_bytes"] == 64]


def server(plt, data, rows, run_dir):
    # Requests per second and p99 against the number of clients, one line per model (64 B).
    p99 = {r["benchmark"]: r["median"] for r in pick(rows, "server", "p99_ns")}
    series = series_by(data, "server", "items_per_second", "clients")
    if single_x(series, lambda r: r["params_map"]["clients"]):
        clients = next(iter(series.values()))[0]["params_map"]["clients"]
        items = [(n, p[0]["median"], p[0]["p25"], p[0]["p75"]) for n, p in series.items()]
        bars(plt, items, "requests per second (log; bars p25-p75)", f"Server models, {clients} clients, 64 B requests", run_dir, "server")
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, pts in series.items():
        x = [float(r["params_map"]["clients"]) for r in pts]
        left.plot(x, [r["median"] for r in pts], "o-", label=name)
        tail = [(xi, p99[r["benchmark"]] / 1e3) for xi, r in zip(x, pts) if r["benchmark"] in p99]
        if tail:
            right.plot([t[0] for t in tail], [t[1] for t in tail], "o-", label=name)
    for ax, ylabel in ((left, "requests per second"), (right, "p99 response time (µs)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("clients")
        ax.set_ylabel(ylabel)
    left.set_title("Server models: throughput (64 B requests)")
    right.set_title("Server models: p99")
    outside_legend(right)
    save(fig, run_dir, "server")
    plt.close(fig)


def select_open_loop(rows):
    return [r for r in pick(rows, "open_loop", "real_time") if r["benchmark"].startswith("BM_OpenLoop/")]


def open_loop(plt, data, rows, run_dir):
    # Response time against offered load, one line per transport and endpoint, band up to p99.
    p99 = {r["benchmark"]: r["median"] for r in pick(rows, "open_loop", "p99_ns")}
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name, pts in series_by(data, "open_loop", "real_time", "load_pct").items():
        x = [float(r["params_map"]["load_pct"]) for r in pts]
        y = [r["median"] / 1e3 for r in pts]
        line, = ax.plot(x, y, "o-", label=name)
        ax.fill_between(x, y, [p99.get(r["benchmark"], r["median"]) / 1e3 for r in pts], color=line.get_color(), alpha=0.12)
    ax.set_yscale("log")
    ax.set_xlabel("offered load (% of the rate the transport saturates at)")
    ax.set_ylabel("response time p50 (µs; band up to p99)")
    ax.set_title("Latency under load (open loop, 64 B)")
    outside_legend(ax)
    save(fig, run_dir, "open_loop")
    plt.close(fig)


def select_fan_in(rows):
    return pick(rows, "pattern", "items_per_second")


def fan_in(plt, data, rows, run_dir):
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name, pts in series_by(data, "pattern", "items_per_second", "producers").items():
        ax.plot([float(r["params_map"]["producers"]) for r in pts], [r["median"] for r in pts], "o-", label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("producers")
    ax.set_ylabel("messages per second into one consumer")
    ax.set_title("Fan-in (64 B)")
    outside_legend(ax)
    save(fig, run_dir, "fan_in")
    plt.close(fig)


# Each chart: its file name, the rows it selects, and how it draws them (from those rows, with
# the whole summary at hand for a second metric).
def select_core_to_core(rows):
    return [r for r in pick(rows, "floor", "real_time") if r["benchmark"].startswith("BM_CoreToCore/")]


def core_to_core(plt, data, rows, run_dir):
    # A heat map over the measured pairs (both halves, the round trip is symmetric); cells not
    # measured (a sampled large machine, or one CPU with itself) stay blank.
    cpus = sorted({int(r["params_map"][k]) for r in data for k in ("a", "b")})
    index = {c: i for i, c in enumerate(cpus)}
    n = len(cpus)
    grid = [[math.nan] * n for _ in range(n)]
    for r in data:
        a, b = index[int(r["params_map"]["a"])], index[int(r["params_map"]["b"])]
        grid[a][b] = grid[b][a] = r["median"]
    size = min(12, 2.5 + 0.35 * n)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(grid, cmap="viridis", interpolation="nearest")
    fig.colorbar(image, ax=ax, label="round trip (ns)")
    ticks = range(n) if n <= 32 else range(0, n, max(1, n // 16))
    ax.set_xticks(list(ticks))
    ax.set_xticklabels([str(cpus[i]) for i in ticks])
    ax.set_yticks(list(ticks))
    ax.set_yticklabels([str(cpus[i]) for i in ticks])
    ax.set_xlabel("CPU")
    ax.set_ylabel("CPU")
    if n <= 12:
        for i in range(n):
            for j in range(n):
                if not math.isnan(grid[i][j]):
                    ax.text(j, i, f"{grid[i][j]:.0f}", ha="center", va="center", color="white", fontsize=9)
    levels = sorted({r["placement"] for r in data})
    ax.set_title("core-to-core cache-line round trip, by pair of CPUs\n(levels: " + ", ".join(levels) + ")")
    save(fig, run_dir, "core_to_core")
    plt.close(fig)


CHARTS = (
    ("creation", select_creation, creation),
    ("fork_memory", select_fork_memory, fork_memory),
    ("switch", select_switch, switch),
    ("ipc_latency", select_ipc_latency, ipc_latency),
    ("ipc_throughput", select_ipc_throughput, ipc_throughput),
    ("ladder", select_ladder, ladder),
    ("speedup", select_speedup, speedup),
    ("server", select_server, server),
    ("open_loop", select_open_loop, open_loop),
    ("fan_in", select_fan_in, fan_in),
    ("core_to_core", select_core_to_core, core_to_core),
)


def check(rows):
    empty = []
    for name, select, _ in CHARTS:
        n = len(select(rows))
        print(f"{name}: {n} rows")
        if n == 0:
            empty.append(name)
    if empty:
        print(f"plot.py: no rows for {', '.join(empty)}", file=sys.stderr)
        return 1
    return 0


def main():
    args = sys.argv[1:]
    checking = args[:1] == ["--check"]
    if checking:
        args = args[1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    run_dir = args[0]
    try:
        rows = load(run_dir)
    except (OSError, KeyError, csv.Error) as e:
        print(f"plot.py: cannot read {run_dir}/summary.csv: {e}", file=sys.stderr)
        return 2
    if checking:
        return check(rows)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: matplotlib is missing; install it with: apt-get install python3-matplotlib", file=sys.stderr)
        return 3
    for name, select, draw in CHARTS:
        data = select(rows)
        if data:
            draw(plt, data, rows, run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
