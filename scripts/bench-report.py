#!/usr/bin/env python3
"""The host side of `make bench`: reads what `qemu/run.sh --bench` printed, writes the
result as JSON and as an SVG chart, and says what moved since the last saved result.

    bench-report.py RUN_OUTPUT DIR

RUN_OUTPUT holds the guest's `bench:` lines and its one `bench-json:` line. The last saved
result is DIR/last.json; it is compared with the new one (per row: old ratio -> new ratio),
then the new result replaces it (DIR/last.json, DIR/last.svg) and is also kept as
DIR/results/<date>.json. Standard library only.
"""

import datetime
import json
import random
import statistics
import sys
from pathlib import Path


def parse_run(text):
    """The guest's JSON, with the accelerator and date the host adds."""
    result = None
    accel = "unknown"
    timing = "host clock"
    for line in text.splitlines():
        if line.startswith("bench-json: "):
            result = json.loads(line[len("bench-json: "):])
        elif line.startswith("bench: accelerator: "):
            accel = line.split(": ", 2)[2].strip()
        elif line.startswith("bench: timing: "):
            timing = line.split(": ", 2)[2].strip()
    if result is None:
        raise SystemExit("bench-report: no bench-json line in the run's output")
    result["accelerator"] = accel.upper()
    result["timing"] = timing
    result["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for row in result["rows"]:
        for side in ("n_tty", "n_rust"):
            if not row[side]:
                raise SystemExit(f"bench-report: row {row['key']} has no {side} samples")
        row["n_tty_median"] = statistics.median(row["n_tty"])
        row["n_rust_median"] = statistics.median(row["n_rust"])
        row["ratio"] = row["n_rust_median"] / row["n_tty_median"] if row["n_tty_median"] else None
        # The samples are in repetition order, and each repetition ran both disciplines back
        # to back: the ratio per repetition cancels what drifts slowly (machine load).
        row["paired_ratios"] = [r / t for t, r in zip(row["n_tty"], row["n_rust"]) if t]
        row["ratio_interval"] = ratio_interval(row["n_tty"], row["n_rust"])
        row["verdict"] = verdict(row)
    return result


def ratio_interval(n_tty, n_rust, resamples=2000, level=0.95):
    """A bootstrap interval for the ratio of the medians: the repetitions are drawn again
    with replacement (the two runs of a repetition together, as they ran back to back),
    `resamples` times with a fixed seed, and the middle `level` of the ratios kept. With few
    repetitions it is rough, but it says whether a ratio's distance from 1 is more than the
    run-to-run spread."""
    pairs = list(zip(n_tty, n_rust))
    if len(pairs) < 3:
        return None
    rng = random.Random(0)
    ratios = []
    for _ in range(resamples):
        draw = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        base = statistics.median(t for t, _ in draw)
        if base:
            ratios.append(statistics.median(r for _, r in draw) / base)
    ratios.sort()
    cut = int(len(ratios) * (1 - level) / 2)
    return [ratios[cut], ratios[len(ratios) - 1 - cut]]


def verdict(row):
    """Which discipline the row favours, by its interval: only when 1.0 lies outside it."""
    interval = row["ratio_interval"]
    if interval is None:
        return "too few repetitions"
    lo, hi = interval
    if lo > 1.0:
        return "n_rust better" if row["better"] == "higher" else "N_TTY better"
    if hi < 1.0:
        return "N_TTY better" if row["better"] == "higher" else "n_rust better"
    return "no difference shown"


def fmt(x):
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def table(result):
    """The Markdown table of a result."""
    out = [
        "| row | unit | better | N_TTY median (min–max) | n_rust median (min–max) "
        "| ratio n_rust/N_TTY | 95 % interval | verdict | ratio per repetition, median (min–max) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        cells = [
            f"{fmt(r[s + '_median'])} ({fmt(min(r[s]))}–{fmt(max(r[s]))})" for s in ("n_tty", "n_rust")
        ]
        ratio = "–" if r["ratio"] is None else f"**{r['ratio']:.2f}**"
        pr = r["paired_ratios"]
        paired = f"{statistics.median(pr):.2f} ({min(pr):.2f}–{max(pr):.2f})" if pr else "–"
        better = "higher" if r["better"] == "higher" else "**lower**"
        iv = r.get("ratio_interval")
        interval = f"{iv[0]:.2f}–{iv[1]:.2f}" if iv else "–"
        out.append(f"| {r['name']} | {r['unit']} | {better} | {cells[0]} | {cells[1]} | {ratio} "
                   f"| {interval} | {r.get('verdict', '–')} | {paired} |")
    return "\n".join(out)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(result):
    """A bar per row: the ratio n_rust/N_TTY on a log scale around 1.0, green where n_rust
    is better (above 1 for throughput, below 1 for time, CPU and memory)."""
    rows = result["rows"]
    left, width, bar_h, gap, top = 380, 420, 18, 8, 70
    height = top + len(rows) * (bar_h + gap) + 50
    lo, hi = 0.25, 4.0  # the axis: ratios 1/4 .. 4, log scale

    import math

    def x_of(ratio):
        r = min(max(ratio, lo), hi)
        return left + width * (math.log(r) - math.log(lo)) / (math.log(hi) - math.log(lo))

    p = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="20" font-size="15" font-weight="bold">n_rust / N_TTY, median of {result["reps"]} '
        "repetitions each, same guest boot</text>",
        f'<text x="10" y="40">{esc(result["date"])} · Linux {esc(result["kernel"])}{lockdep_words(result)} · '
        f'{esc(result["accelerator"])} · timed by {esc(result.get("timing", "host clock"))} · '
        f'{result["cpus"]} vCPUs ({esc(result.get("placement", "all"))}) · raw {result["raw_mib"]} MiB</text>',
        '<text x="10" y="56" fill="#555">green: n_rust better (throughput above 1; time, CPU, '
        "memory below 1); bars clipped to 0.25–4; whiskers: 95 % bootstrap interval</text>",
    ]
    for tick in (0.25, 0.5, 1.0, 2.0, 4.0):
        x = x_of(tick)
        colour = "#000" if tick == 1.0 else "#ccc"
        p.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 40}" stroke="{colour}"/>')
        p.append(f'<text x="{x:.1f}" y="{height - 26}" text-anchor="middle">{tick:g}</text>')
    for i, r in enumerate(rows):
        y = top + i * (bar_h + gap)
        p.append(f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">{esc(r["name"])} '
                 f'({"↑" if r["better"] == "higher" else "↓"})</text>')
        if r["ratio"] is None:
            continue
        x1, x0 = x_of(r["ratio"]), x_of(1.0)
        good = r["ratio"] >= 1.0 if r["better"] == "higher" else r["ratio"] <= 1.0
        colour = "#2e8b57" if good else "#c0392b"
        p.append(f'<rect x="{min(x0, x1):.1f}" y="{y}" width="{max(abs(x1 - x0), 1):.1f}" '
                 f'height="{bar_h}" fill="{colour}"/>')
        if r.get("ratio_interval"):
            a, b = (x_of(v) for v in r["ratio_interval"])
            mid = y + bar_h / 2
            p.append(f'<line x1="{a:.1f}" y1="{mid:.1f}" x2="{b:.1f}" y2="{mid:.1f}" stroke="#222"/>')
            for xe in (a, b):
                p.append(f'<line x1="{xe:.1f}" y1="{y + 4}" x2="{xe:.1f}" y2="{y + bar_h - 4}" stroke="#222"/>')
        p.append(f'<text x="{left + width + 8}" y="{y + 13}">{r["ratio"]:.2f}</text>')
    p.append("</svg>")
    return "\n".join(p) + "\n"


def lockdep_words(result):
    """How the kernel's locks were built, for a heading: lockdep weighs on every lock taken."""
    return {True: " (lockdep)", False: " (no lockdep)"}.get(result.get("lockdep"), "")


def compare(old, new):
    """Lines saying, per row, how the ratio moved."""
    old_rows = {r["key"]: r for r in old.get("rows", [])}
    lines = [f"bench: compared with the result of {old.get('date', '?')} "
             f"({old.get('accelerator', '?')}, timed by {old.get('timing', 'host clock')}, "
             f"Linux {old.get('kernel', '?')}{lockdep_words(old)}):"]
    if "lockdep" not in old:
        lines.append("bench:   (that result does not say how its kernel was built: before "
                     "2026-12-04 every run was on the test kernel, with lockdep)")
    elif old["lockdep"] != new.get("lockdep"):
        lines.append("bench:   (one kernel with lockdep, one without: compare the ratios with care)")
    elif old.get("build") != new.get("build"):
        lines.append(f"bench:   (another build of the kernel: {old.get('build', '?')}; "
                     "compare the ratios with care)")
    if old.get("timing", "host clock") != new.get("timing", "host clock"):
        lines.append("bench:   (timed differently: compare the ratios with care)")
    for r in new["rows"]:
        o = old_rows.get(r["key"])
        if o is None or o.get("ratio") is None or r["ratio"] is None:
            lines.append(f"bench:   {r['name']}: new row, ratio {r['ratio']}")
            continue
        change = r["ratio"] - o["ratio"]
        improved = change > 0 if r["better"] == "higher" else change < 0
        word = "same" if abs(change) < 0.005 else ("better" if improved else "worse")
        lines.append(f"bench:   {r['name']}: {o['ratio']:.2f} -> {r['ratio']:.2f} ({word})")
    return "\n".join(lines)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    result = parse_run(Path(sys.argv[1]).read_text(errors="replace"))
    out = Path(sys.argv[2])
    (out / "results").mkdir(parents=True, exist_ok=True)
    print(table(result))
    last = out / "last.json"
    if last.exists():
        print(compare(json.loads(last.read_text()), result))
    else:
        print(f"bench: no earlier result in {last} to compare with")
    text = json.dumps(result, indent=1, ensure_ascii=False) + "\n"
    stamp = result["date"][:16].replace(" ", "T").replace(":", "")
    kept = out / "results" / f"{stamp}.json"
    # Two runs in one minute (short runs of one row) must not overwrite each other.
    second = 1
    while kept.exists():
        second += 1
        kept = out / "results" / f"{stamp}-{second}.json"
    kept.write_text(text)
    if len(result["rows"]) < len(json.loads(last.read_text())["rows"]) if last.exists() else False:
        # A run of some workloads only (N_RUST_BENCH_ROWS) does not replace the full result.
        print(f"bench: saved {kept} (some rows only: {last} left as it was)")
        return
    last.write_text(text)
    (out / "last.svg").write_text(svg(result))
    print(f"bench: saved {last}, {out / 'last.svg'} and {kept}")


if __name__ == "__main__":
    main()
