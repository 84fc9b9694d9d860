#!/usr/bin/python3
"""Writes the result tables of README.md and docs/ from the committed reference run.

Usage: /usr/bin/python3 scripts/readme_tables.py [--check] [--root DIR] [--file F ...]

The reference runs are named in results/REFERENCE, one "KIND DIRECTORY" line each (relative to
results/): `summary` (summary.csv and host.csv: the headline), `verify` (verify.csv) and
`crosscheck` (crosscheck.csv); one commit's runs.
Each table sits in a document between `<!-- generated:NAME -->` and `<!-- end generated:NAME -->`:
- headline: a few medians from summary.csv, with their spread and count;
- claims: the verdicts of verify.csv;
- crosscheck: the pairs of crosscheck.csv (suite against an independent program);
- suites: each benchmark program's own header comment (bench/*_bench.cpp), what it asks and
  times, so that docs/suites.md says what the code says.
Without --check the blocks are rewritten in place. With --check nothing is written, and the exit
code is 1 when a block differs from what the committed files give (a test runs this), 2 on bad
input (a missing reference, a block never closed).
"""
import argparse
import csv
import os
import re
import sys

# The headline rows: (what a reader asks, grid name, metric). One place; the README shows them.
# {cross} is the run's level across CPUs (host.csv's cross_cpu_level: what the first and the last
# allowed CPU share); runs from before placements were named by level called it "cross-cpu".
HEADLINE = [
    ("create a thread: pthread create + join, one CPU", "BM_Create/pthread/thread/same-cpu/0/rss_mib=0", "real_time"),
    ("create a process: fork + exit + wait, one CPU", "BM_Create/fork/process/same-cpu/0/rss_mib=0", "real_time"),
    ("start a program: posix_spawn /bin/true + wait", "BM_Create/posix_spawn/process/same-cpu/0/rss_mib=0", "real_time"),
    ("switch between threads: pipe hand-off round trip, one CPU", "BM_Switch/pipe/thread/same-cpu/0/tasks=2/ws_kib=0", "real_time"),
    ("switch between processes: the same", "BM_Switch/pipe/process/same-cpu/0/tasks=2/ws_kib=0", "real_time"),
    ("the floor: a cache line's round trip between two CPUs", "BM_Floor/cacheline/process/{cross}/64", "real_time"),
    ("64 B round trip between processes on two CPUs: pipe", "BM_IpcLatency/pipe/process/{cross}/64", "real_time"),
    ("the same over a shared-memory ring (spinning)", "BM_IpcLatency/shm_ring/process/{cross}/64/policy=spin", "real_time"),
    ("64 B messages streamed between processes: pipe", "BM_IpcThroughput/pipe/process/{cross}/64", "items_per_second"),
    ("the same over the ring (spinning)", "BM_IpcThroughput/shm_ring/process/{cross}/64/policy=spin", "items_per_second"),
    ("64 KiB streamed between processes: pipe", "BM_IpcThroughput/pipe/process/{cross}/65536", "bytes_per_second"),
    ("the same over the zero-copy ring (spinning)", "BM_IpcThroughput/shm_ring_zc/process/{cross}/65536/policy=spin", "bytes_per_second"),
    ("the floor: memcpy of 64 KiB in one core", "BM_Floor/memcpy/thread/unpinned/65536", "bytes_per_second"),
]


class Bad(Exception):
    pass


def human(value, unit):
    if unit == "ns":
        for scale, name in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
            if value >= scale:
                return f"{value / scale:.3g} {name}"
        return f"{value:.3g} ns"
    if unit == "B/s":
        return f"{value / 1e9:.3g} GB/s"
    for scale, name in ((1e9, "G/s"), (1e6, "M/s"), (1e3, "k/s")):
        if value >= scale:
            return f"{value / scale:.3g} {name}"
    return f"{value:.3g}/s"


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def host_line(run):
    host = {r["key"]: r["value"] for r in read_csv(os.path.join(run, "host.csv"))}
    started = host.get("started_utc", "?")[:10]
    return (f"Measured on {started} on the development host: {host.get('cpu_model', '?')}, "
            f"{len(cpus(host.get('cpus_allowed', '')))} CPUs allowed, Linux {host.get('kernel', '?')}, "
            f"{host.get('virtualization', '?')}; commit {host.get('git_sha', '?')}, profile "
            f"{host.get('profile', '?')}, {host.get('repetitions', '?')} repetitions; the cache-line "
            f"floor {host.get('cacheline_floor_before_ns', '?')} ns before the run and "
            f"{host.get('cacheline_floor_after_ns', '?')} ns after.")


def cpus(text):
    out = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        if lo.isdigit() and (not hi or hi.isdigit()):
            out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def reference_csv(ctx, kind, name, remedy):
    """The reference run of KIND: its path under results/, the rows of its file NAME, and, when
    the file is missing, the line the table shows instead (saying how to make it)."""
    run, rel = ctx["runs"][kind]
    path = os.path.join(run, name)
    if not os.path.exists(path):
        return rel, [], [f"`results/{rel}` has no {name}: run `{remedy.format(rel=rel)}`."]
    return rel, read_csv(path), None


def at_level(rows, bench, metric, level):
    """The benchmark's name at the run's level, or under the old name where the run used it."""
    named = bench.replace("{cross}", level)
    if (named, metric) in rows:
        return named
    return bench.replace("{cross}", "cross-cpu")


def headline(ctx):
    run, rel = ctx["runs"]["summary"]
    rows = {(r["benchmark"], r["metric"]): r for r in read_csv(os.path.join(run, "summary.csv"))}
    host = {r["key"]: r["value"] for r in read_csv(os.path.join(run, "host.csv"))}
    level = host.get("cross_cpu_level", "cross-cpu")
    lines = [host_line(run), "",
             "| what | median | spread | n | benchmark |", "|---|---:|---:|---:|---|"]
    for what, template, metric in HEADLINE:
        bench = at_level(rows, template, metric, level)
        r = rows.get((bench, metric))
        if r is None or not r["median"]:
            lines.append(f"| {what} | not in this run | | | `{bench}` |")
            continue
        median, mad = float(r["median"]), float(r["mad"] or 0)
        spread = f"±{100 * mad / median:.0f}%" if median else "-"
        lines.append(f"| {what} | {human(median, r['unit'])} | {spread} | {r['n']} | `{bench}` |")
    old_names = any("/cross-cpu/" in bench for bench, _ in rows)
    source = (f"Medians of the repetitions (spread: median absolute deviation / median) from "
              f"[`results/{rel}`]({ctx['up']}results/{rel}/report.md)")
    if level == "cross-cpu":
        lines += ["", source + "."]
    elif old_names:
        lines += ["", source + f"; the two CPUs share `{level}` there (hwloc), which runs of that "
                  "date named `cross-cpu`."]
    else:
        lines += ["", source + f"; the two CPUs share `{level}` there (hwloc)."]
    return lines


def claims(ctx):
    rel, rows, missing = reference_csv(ctx, "verify", "verify.csv", "ptbench verify --from results/{rel}")
    if missing:
        return missing
    lines = ["| # | the notes say | verdict | ratio (95% interval) | p (Holm) |", "|---:|---|---|---:|---:|"]
    for r in rows:
        ratio = "-" if not r["ratio"] else f"{float(r['ratio']):.2f}×"
        if r["ratio"] and r["ci_low"]:
            ratio += f" ({float(r['ci_low']):.2f}-{float(r['ci_high']):.2f})"
        p = r.get("p_holm") or r["p_value"]
        p = "-" if not p else f"{float(p):.2g}"
        lines.append(f"| {r['claim']} | {r['statement']} | {r['verdict']} | {ratio} | {p} |")
    lines += ["", f"From `results/{rel}/verify.csv`; each claim's condition and explanation are in "
              f"its [report]({ctx['up']}results/{rel}/report.md)."]
    return lines


def crosscheck(ctx):
    rel, rows, missing = reference_csv(ctx, "crosscheck", "crosscheck.csv", "ptbench crosscheck --out results/{rel}")
    if missing:
        return missing
    lines = ["| what | suite | reference | suite / reference (95% interval) | verdict |", "|---|---:|---|---:|---|"]
    for r in rows:
        if r["verdict"] == "failed":
            lines.append(f"| {r['label']} | | {r['reference']} | | failed: {r['error']} |")
            continue
        unit = {"real_time": "ns", "real_time+verify_ns": "ns", "bytes_per_second": "B/s"}.get(r["metric"], "1/s")
        interval = "" if not r["ci95_low"] else f" ({float(r['ci95_low']):.2f}-{float(r['ci95_high']):.2f})"
        lines.append(f"| {r['label']} | {human(float(r['suite_median']), unit)} | {r['reference']} "
                     f"{human(float(r['reference_median']), unit)} | {float(r['ratio']):.2f}{interval} | {r['verdict']} |")
    agree = sum(1 for r in rows if r["verdict"] == "agrees")
    lines += ["", f"{agree} of {len(rows)} pairs agree (from `results/{rel}/crosscheck.csv`, "
              f"{rows[0]['rounds'] if rows else 0} interleaved rounds)."]
    return lines


def suites(ctx):
    bench = os.path.join(ctx["root"], "bench")
    lines = []
    for name in sorted(f for f in os.listdir(bench) if f.endswith("_bench.cpp")):
        with open(os.path.join(bench, name)) as f:
            header = []
            for line in f:
                if not line.startswith("//"):
                    break
                header.append(line[3:].rstrip() if line.startswith("// ") else line[2:].rstrip())
        program = name[:-len(".cpp")]
        lines += [f"## {program}", "", f"[`bench/{name}`]({ctx['up']}bench/{name}), suite `{program[:-len('_bench')]}`", "", "```text"]
        lines += header + ["```", ""]
    return lines[:-1]


BLOCKS = {"headline": headline, "claims": claims, "crosscheck": crosscheck, "suites": suites}


def rewrite(text, made):
    """`text` with every generated block replaced by what `made` gives for its name."""
    out, pos = [], 0
    for m in re.finditer(r"<!-- generated:(\w+) -->\n", text):
        name = m.group(1)
        end = text.find(f"<!-- end generated:{name} -->", m.end())
        if end < 0:
            raise Bad(f"the block '{name}' is never closed")
        if name not in BLOCKS:
            raise Bad(f"no table is called '{name}' (known: {', '.join(BLOCKS)})")
        out.append(text[pos:m.end()])
        out.append("\n".join(made(name)) + "\n")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def reference_runs(root):
    """{kind: (directory, name relative to results/)} from results/REFERENCE."""
    runs = {}
    with open(os.path.join(root, "results", "REFERENCE")) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            kind, _, rel = line.strip().partition(" ")
            if kind not in ("summary", "verify", "crosscheck") or not rel.strip():
                raise Bad(f"results/REFERENCE: '{line.strip()}' is not 'summary|verify|crosscheck DIR'")
            runs[kind] = (os.path.join(root, "results", rel.strip()), rel.strip())
    for kind in ("summary", "verify", "crosscheck"):
        if kind not in runs:
            raise Bad(f"results/REFERENCE names no {kind} run")
    if not os.path.exists(os.path.join(runs["summary"][0], "summary.csv")):
        raise Bad(f"results/REFERENCE: {runs['summary'][1]} has no summary.csv")
    return runs


def selftest(args):
    """--check must be able to say no: a number changed inside a generated block of README.md is
    found, and so is a block that is never closed. Exit 0 when both are caught."""
    ctx = {"runs": reference_runs(args.root), "root": args.root, "up": ""}
    made = lambda name: BLOCKS[name](ctx)
    with open(os.path.join(args.root, "README.md")) as f:
        text = f.read()
    start = text.index("<!-- generated:headline -->")
    digit = next(i for i in range(start, len(text)) if text[i].isdigit())
    tampered = text[:digit] + str((int(text[digit]) + 1) % 10) + text[digit + 1:]
    caught_change = rewrite(tampered, made) != tampered and rewrite(text, made) == text
    try:
        rewrite("<!-- generated:headline -->\n| a table that never ends |\n", made)
        caught_unclosed = False
    except Bad:
        caught_unclosed = True
    print(f"readme_tables selftest: a changed number {'caught' if caught_change else 'MISSED'}, "
          f"an unclosed block {'caught' if caught_unclosed else 'MISSED'}")
    return 0 if caught_change and caught_unclosed else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--root", default=os.path.join(here, ".."))
    p.add_argument("--check", action="store_true")
    p.add_argument("--file", action="append", help="a document to process (default: README.md and docs/*.md)")
    p.add_argument("--selftest", action="store_true", help="show that --check can fail: a tampered table and an unclosed block are caught")
    args = p.parse_args()
    if args.selftest:
        return selftest(args)
    try:
        runs = reference_runs(args.root)
        files = args.file or [os.path.join(args.root, "README.md")] + sorted(
            os.path.join(args.root, "docs", f) for f in os.listdir(os.path.join(args.root, "docs")) if f.endswith(".md"))
        stale = []
        for path in files:
            # Links in a table are relative to the document that holds it.
            up = os.path.relpath(args.root, os.path.dirname(os.path.abspath(path)))
            ctx = {"runs": runs, "root": args.root, "up": "" if up == "." else up + "/"}
            with open(path) as f:
                text = f.read()
            new = rewrite(text, lambda name: BLOCKS[name](ctx))
            if new == text:
                continue
            stale.append(path)
            if not args.check:
                with open(path, "w") as f:
                    f.write(new)
    except (Bad, OSError, KeyError, ValueError) as e:
        print(f"readme_tables: {e}", file=sys.stderr)
        return 2
    if args.check and stale:
        for path in stale:
            print(f"readme_tables: {path} differs from what the committed run gives; run scripts/readme_tables.py", file=sys.stderr)
        return 1
    for path in stale:
        print(f"rewrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
