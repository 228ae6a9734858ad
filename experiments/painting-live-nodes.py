#!/usr/bin/env python3
"""Live ReLU nodes of finished painting trials, read from a sculpt results database.

A first-layer ReLU unit is live when its half-plane w_x x + w_y y + b > 0 meets the image
[-0.5, 0.5]^2 (a linear function's maximum over the square is at a corner); a dead unit outputs 0
on every pixel. The lines come from each trial's stored panel (details.panel.boundaries), so no
trial is rerun. Hyatt & Lee (2018, ARL-TR-8474) say their non-active nodes were "in most cases"
those whose nonzero half-plane fell outside the image; this counts exactly those, beside the
loss-ratio count the trials record (activeNodes).

    python3 experiments/painting-live-nodes.py sculpt.db painting-linear-layers
"""
import json
import sqlite3
import statistics
import sys

CORNERS = [(x, y) for x in (-0.5, 0.5) for y in (-0.5, 0.5)]


def live_nodes(details):
    lines = ((details or {}).get("panel") or {}).get("boundaries", [])
    return sum(1 for wx, wy, b in lines if max(wx * x + wy * y + b for x, y in CORNERS) > 0)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: painting-live-nodes.py DATABASE SPEC_NAME")
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    rows = {}
    query = ("select variant, metrics, details from trials where spec_name = ? and status = 'done' "
             "order by variant, trial_index")
    for variant, metrics, details in db.execute(query, (sys.argv[2],)):
        m = json.loads(metrics)
        rows.setdefault(variant, []).append((live_nodes(json.loads(details) if details else None),
                                             m["activeNodes"], m["sides"]))
    if not rows:
        sys.exit(f"no finished trials of spec {sys.argv[2]!r} in {sys.argv[1]}")
    print("| variant | n | live nodes | live nodes: 0 / 1 / 2 / 3 / more | active nodes (loss ratio >= 1.5) | sides per live node (0 live: 0) |")
    print("|---|---:|---:|---|---:|---:|")
    for variant, trials in rows.items():
        live = [t[0] for t in trials]
        active = [t[1] for t in trials]
        ratio = [s / n if n else 0.0 for n, _, s in trials]
        counts = " / ".join(str(sum(1 for x in live if x == k)) for k in range(4)) + f" / {sum(1 for x in live if x > 3)}"

        def ms(v):
            return f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f}" if len(v) > 1 else f"{v[0]:.2f}"
        print(f"| {variant} | {len(trials)} | {ms(live)} | {counts} | {ms(active)} | {ms(ratio)} |")


if __name__ == "__main__":
    main()
