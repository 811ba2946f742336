#!/usr/bin/env python3
"""Turns the raw output of bench/run.sh (wrk outputs, CPU ticks, peak RSS,
sizes, argon2 rate, hydration times, webhook deliveries/s) into the markdown table, checks the
targets of issue 6, and (full mode) writes bench/RESULTS.md.

Exits non-zero when a scenario answered anything but 2xx/3xx (wrk's
"Non-2xx or 3xx responses"), made no request at all, the wasm/JS sizes
are missing, or no webhook delivery rate was measured. Also: `report.py --sizes-of ROOT` prints the site's sizes like
`cargo xtask build` does (used with BENCH_SKIP_BUILD=1)."""

import argparse
import datetime
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
NOTES_MARKER = "<!-- notes: kept across runs by bench/report.py -->"


def parse_wrk(path):
    text = Path(path).read_text()
    out = {"text": text}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", text)
    out["requests"] = int(m.group(1)) if m else 0
    out["seconds"] = float(m.group(2)) * UNITS_MS[m.group(3)] / 1000 if m else None
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        out[f"p{pct}"] = float(m.group(1)) * UNITS_MS[m.group(2)] if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket"] = tuple(int(x) for x in m.groups()) if m else (0, 0, 0, 0)
    return out


def parse_sizes(text):
    sizes = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            sizes[parts[0]] = (int(parts[1]), int(parts[2]))
    return sizes


def sizes_of(root):
    """The site's wasm/JS/CSS sizes, raw and gzip (like xtask's table)."""
    import tomllib

    site = tomllib.loads((Path(root) / "Leptos.toml").read_text())
    pkg = Path(root) / site["site_root"] / site["site_pkg_dir"]
    name = site["output_name"]
    print(f"{'file':<24} {'raw bytes':>12} {'gzip bytes':>12}")
    total = [0, 0]
    for file in (f"{name}_bg.wasm", f"{name}.js", f"{name}.css"):
        data = (pkg / file).read_bytes()
        gz = len(gzip.compress(data, 9))
        total = [total[0] + len(data), total[1] + gz]
        print(f"{file:<24} {len(data):>12} {gz:>12}")
    print(f"{'total':<24} {total[0]:>12} {total[1]:>12}")


def kv(path):
    """`a=1 b=2` on one line -> dict, or {} when the file is missing."""
    p = Path(path)
    if not p.exists():
        return {}
    return dict(item.split("=", 1) for item in p.read_text().split() if "=" in item)


def fmt(x, digits=1):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


def cores(r):
    parts = [r["cores_server"], r["cores_wrk"], r["cores_other"]]
    return " / ".join("n/a" if x is None else f"{max(x, 0):.2f}" for x in parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes-of")
    ap.add_argument("--work")
    ap.add_argument("--mode", default="full")
    ap.add_argument("--profile", default="release")
    ap.add_argument("--clk-tck", type=int, default=100)
    ap.add_argument("--build-seconds", type=int, default=0)
    ap.add_argument("--bench-seconds", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.sizes_of:
        sizes_of(args.sizes_of)
        return 0

    work = Path(args.work)
    failures = []
    rows = []
    for line in (work / "scenarios.tsv").read_text().splitlines():
        fields = (line.split("\t") + [""] * 12)[:12]
        db, members, name, conc, out, ticks, hwm_kb, probe, busy, wrk_ms, argon2_file, run = fields
        r = parse_wrk(out)
        r["argon2"] = kv(argon2_file) if argon2_file else {}
        # Where the machine's CPU went during the scenario, in cores.
        secs = r["seconds"] or 1.0
        r["cores_server"] = int(ticks) / args.clk_tck / secs
        r["cores_wrk"] = int(wrk_ms) / 1000.0 / secs if wrk_ms else None
        r["cores_other"] = (int(busy) / args.clk_tck / secs - r["cores_server"] - (r["cores_wrk"] or 0)
                            if busy else None)
        r.update(db=db, members=int(members), name=name, conc=int(conc), run=int(run or 1))
        r["cpu_ms"] = int(ticks) * 1000.0 / args.clk_tck / r["requests"] if r["requests"] else None
        r["rss_mb"] = int(hwm_kb) * 1024 / 1e6 if hwm_kb else None
        r["probe"] = parse_wrk(probe) if probe else None
        rows.append(r)
        for what, res in ((name, r), (f"{name}: /healthz probe", r["probe"])):
            if res is None:
                continue
            if res["requests"] == 0:
                failures.append(f"{db} {members} {what}: no requests completed")
            if res["non2xx"]:
                failures.append(f"{db} {members} {what}: {res['non2xx']} responses were not 2xx/3xx")

    bulk = []
    bulk_file = work / "bulk.tsv"
    for line in (bulk_file.read_text().splitlines() if bulk_file.exists() else []):
        db, members, status, seconds, invited = (line.split("\t") + [""] * 5)[:5]
        b = {"db": db, "members": int(members), "status": status,
             "seconds": float(seconds or 0), "invited": int(invited or 0)}
        bulk.append(b)
        if status != "200" or b["invited"] != 1000:
            failures.append(f"{db} {members} bulk import: answered {status}, {b['invited']} of 1,000 invited")

    sizes = parse_sizes((work / "sizes.txt").read_text()) if (work / "sizes.txt").exists() else {}
    wasm = next((v for k, v in sizes.items() if k.endswith("_bg.wasm")), None)
    js = next((v for k, v in sizes.items() if k.endswith(".js")), None)
    css = next((v for k, v in sizes.items() if k.endswith(".css")), None)
    if wasm is None or js is None:
        failures.append("the wasm/JS sizes were not printed by the build")
    argon = kv(work / "argon2.txt")
    argon_py = kv(work / "argon2-py.txt")
    argon_rate = float(argon["verifies_per_second"]) if argon else None
    hydration = None
    if (work / "hydration.json").exists():
        hydration = json.loads((work / "hydration.json").read_text())

    lines = []
    add = lines.append
    add(f"### Load ({args.profile} build; wrk on the same machine, {rows[0]['text'].split()[1] if rows else '?'} a scenario)")
    add("")
    add("| DB | members | scenario | c | req/s | p50 ms | p99 ms | server CPU ms/req | peak RSS MB "
        "| cores: server / wrk / rest | errors |")
    add("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        errs = []
        if r["non2xx"]:
            errs.append(f"{r['non2xx']} non-2xx")
        if any(r["socket"]):
            errs.append("socket c/r/w/t " + "/".join(map(str, r["socket"])))
        add(f"| {db_label(r)} | {r['members']:,} | {label(r)} | {r['conc']} | "
            f"{fmt(r['rps'])} | {fmt(r['p50'], 2)} | {fmt(r['p99'], 2)} | {fmt(r['cpu_ms'], 3)} | "
            f"{fmt(r['rss_mb'])} | {cores(r)} | {', '.join(errs) or '0'} |")
        p = r["probe"]
        if p:
            perr = f"{p['non2xx']} non-2xx" if p["non2xx"] else "0"
            add(f"| {db_label(r)} | {r['members']:,} | ↳ `GET /healthz` during sign-in (paced probe) | 1 | "
                f"{fmt(p['rps'])} | {fmt(p['p50'], 2)} | {fmt(p['p99'], 2)} | (in the row above) | "
                f"(same) | (same) | {perr} |")
    add("")
    add("CPU ms/req: the server's utime+stime (from /proc/PID/stat) over the scenario ÷ requests "
        "(the sign-in row includes the /healthz probe's requests). Peak RSS: VmHWM, reset "
        "before each scenario (/proc/PID/clear_refs). Cores: CPU time ÷ wall time of the server "
        "process, of wrk, and of the rest of the machine (busy time from /proc/stat less the "
        "other two: PostgreSQL's backends, the kernel's journal threads behind fsync, and anything "
        "else running, such as a build). On PostgreSQL the server CPU column leaves out the queries' "
        "own work, which runs in the backends.")
    add("")
    if bulk:
        add("### Import: 1,000 rows")
        add("")
        add("| DB | members | `POST /api/v1/invitations/bulk`, 1,000 new addresses | rows/s | invited |")
        add("|---|---:|---:|---:|---:|")
        for b in bulk:
            rate = 1000 / b["seconds"] if b["seconds"] else 0.0
            add(f"| {b['db']} | {b['members']:,} | **{b['seconds']:.2f} s** | {rate:,.0f} | {b['invited']:,} |")
        add("")
        add("One request, timed by curl (`time_total`): each row is invited in its own transaction "
            "(member row, invitation, outbox mail and audit event committed together), in order, as "
            "the Import CSV dialog's batches are; the outbox worker sends the mail meanwhile.")
        add("")
    add("### Bundle")
    add("")
    add("| file | raw bytes | gzip bytes |")
    add("|---|---:|---:|")
    for name, (raw, gz) in sizes.items():
        add(f"| {name} | {raw:,} | {gz:,} |")
    if wasm and js:
        add(f"| **wasm + JS** | {wasm[0] + js[0]:,} | **{wasm[1] + js[1]:,}** |")
    add("")
    add("### argon2id and hydration")
    add("")
    if argon_rate is not None:
        add(f"- argon2id verify rate, m=19456 KiB t=2 p=1, crate argon2 0.5.3 (as the server), "
            f"{argon.get('threads')} threads, before any server started: **{argon_rate:.1f} verifies/s** "
            f"({argon.get('cpu_ms_per_verify', '?')} ms CPU a verify)")
    for r in rows:
        if r["argon2"]:
            rate = float(r["argon2"]["verifies_per_second"])
            add(f"- {db_label(r)}, {r['members']:,} members: raw rate right before sign-in {rate:.1f}/s "
                f"({r['argon2'].get('cpu_ms_per_verify', '?')} ms CPU a verify); sign-in "
                f"{r['rps']:.1f}/s = **{100 * r['rps'] / rate:.0f} %**, at {r['cpu_ms']:.2f} ms server CPU "
                f"a sign-in")
    if argon_py:
        add(f"- the same with PyPI argon2-cffi (C reference code), {argon_py.get('processes')} processes: "
            f"{float(argon_py['verifies_per_second']):.1f} verifies/s")
    if hydration:
        add(f"- navigation → `body[data-hydrated=\"true\"]` on /sign-in, headless Chromium, "
            f"{hydration['loads']} loads, fresh context each: median **{hydration['median_hydrated_ms']} ms** "
            f"(load event median {hydration['median_load_ms']} ms; all: {hydration['hydrated_ms']}; "
            f"page errors: {hydration['page_errors']})")
        if hydration["page_errors"]:
            failures.append(f"hydration: {hydration['page_errors']} page errors")
    peer = ratios(rows)
    if peer:
        add("")
        add("### Muster and Better Auth, same run (SQLite; order Muster, Better Auth, Muster)")
        add("")
        add("| scenario | Muster req/s | Better Auth req/s | req/s ratio | Muster CPU ms/req | "
            "Better Auth CPU ms/req | CPU ratio (less is better for Muster) |")
        add("|---|---:|---:|---:|---:|---:|---:|")
        for _, name, m, b in peer:
            add(f"| {name} | {m['rps']:,.1f} | {b['rps']:,.1f} | **{m['rps'] / b['rps']:.1f}×** | "
                f"{m['cpu_ms']:.3f} | {b['cpu_ms']:.3f} | **1/{b['cpu_ms'] / m['cpu_ms']:.1f}** |")
        add("")
        add("Muster's figures are the mean of its two runs around the peer's. Better Auth 1.7.5 with "
            "the organization and apiKey plugins on node:http and better-sqlite3, NODE_ENV=production, "
            "argon2id m=19456 KiB t=2 p=1 (../shared/peers/better-auth).")
    add("")
    add("### Webhook delivery")
    add("")
    webhooks = []
    if (work / "webhooks.tsv").exists():
        for line in (work / "webhooks.tsv").read_text().splitlines():
            db, members, path = line.split("\t")
            webhooks.append((db, int(members), kv(path)))
    if webhooks:
        add("| DB | members | deliveries | seconds | deliveries/s |")
        add("|---|---:|---:|---:|---:|")
        for db, members, w in webhooks:
            add(f"| {db} | {members:,} | {int(w['deliveries']):,} | {float(w['seconds']):.2f} | "
                f"**{int(w['per_second']):,}** |")
        add("")
        add("Deliveries queued in one transaction to one endpoint on a local receiver "
            "(bench/webhook_receiver.py, answers 204), from the commit until every one is marked "
            "delivered: signed, POSTed over HTTP/1.1, up to 8 in flight per process (includes up to "
            "one 1 s poll before the worker sees rows written by another process).")
    else:
        failures.append("no webhook delivery rate was measured")
    table = "\n".join(lines)

    targets = []
    if args.mode == "full":
        targets = evaluate(rows, wasm, js, argon_rate, hydration, peer, bulk)
        tlines = ["### Targets (issues 15 and 17; SQLite, 1,000 members unless said)", "",
                  "| target | measured | |", "|---|---|---|"]
        for what, measured, ok in targets:
            tlines.append(f"| {what} | {measured} | {'met' if ok else '**missed**'} |")
        table += "\n\n" + "\n".join(tlines)

    print(table)
    if args.out:
        write_results(Path(args.out), table, work, args)
    if failures:
        print("\nbench: FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    if args.mode == "smoke":
        print(f"\nbench smoke: every scenario answered 2xx/3xx, sizes printed "
              f"(build {args.build_seconds}s, scenarios {args.bench_seconds}s)", file=sys.stderr)
    return 0


LABELS = {
    "members": "`GET /api/v1/members?limit=100` (Admin key)",
    "team": "`GET /team` SSR, 50 rows (session)",
    "me": "`GET /api/v1/me`",
    "sign-in": "`POST /rpc/sign_in` (argon2id)",
    "invite": "`POST /api/v1/invitations`",
}
PEER_LABELS = {
    "members": "`GET /organization/list-members?limit=100` (x-api-key)",
    "sign-in": "`POST /sign-in/email` (argon2id)",
}


def label(r):
    table = PEER_LABELS if r["db"] == "peer" else LABELS
    return table.get(r["name"], r["name"])


def db_label(r):
    if r["db"] == "peer":
        return "Better Auth (SQLite)"
    return r["db"] if r["run"] == 1 else f"{r['db']} (run {r['run']})"


def ratios(rows):
    """(scenario, label, Muster's mean of its runs, the peer's row) for what both ran."""
    out = []
    for name in ("members", "sign-in"):
        peer = [r for r in rows if r["db"] == "peer" and r["name"] == name and r["requests"]]
        if not peer:
            continue
        members = peer[0]["members"]
        ours = [r for r in rows if r["db"] == "sqlite" and r["name"] == name
                and r["members"] == members and r["requests"]]
        if not ours:
            continue
        mean = {k: sum(r[k] for r in ours) / len(ours) for k in ("rps", "cpu_ms")}
        out.append((name, f"{LABELS[name]} vs {PEER_LABELS[name]}, {members:,} members", mean, peer[0]))
    return out


def evaluate(rows, wasm, js, argon_rate, hydration, peer, bulk):
    def row(db, name, members=None):
        cands = [r for r in rows if r["db"] == db and r["name"] == name and r["run"] == 1]
        if members is not None:
            cands = [r for r in cands if r["members"] == members]
        return min(cands, key=lambda r: r["members"]) if cands else None

    t = []

    def check(what, r, fn, measured):
        if r is None:
            t.append((what, "not run", False))
        else:
            t.append((what, measured(r), fn(r)))

    if wasm and js:
        gz = wasm[1] + js[1]
        t.append(("wasm + JS ≤ 150 KB gzip", f"{gz:,} bytes ({gz / 1000:.1f} KB)", gz <= 150_000))
    if hydration:
        h = hydration["median_hydrated_ms"]
        t.append(("hydrated ≤ 200 ms after navigation (median of loads)", f"{h} ms", h <= 200))
    members_pair = next(((m, b) for name, _, m, b in peer if name == "members"), None)
    if members_pair:
        m, b = members_pair
        t.append(("member list: ≥ 30× Better Auth's req/s (same run)",
                  f"{m['rps'] / b['rps']:.1f}×", m["rps"] >= 30 * b["rps"]))
        t.append(("member list: ≤ 1/30 of Better Auth's CPU per request (same run)",
                  f"1/{b['cpu_ms'] / m['cpu_ms']:.1f}", m["cpu_ms"] * 30 <= b["cpu_ms"]))
    else:
        t.append(("member list: ≥ 30× Better Auth's req/s and ≤ 1/30 of its CPU", "peer not run", False))
    tm = row("sqlite", "team")
    check("/team SSR: ≤ 1 ms server CPU per request", tm, lambda r: r["cpu_ms"] <= 1.0,
          lambda r: f"{r['cpu_ms']:.3f} ms")
    check("/team SSR: p99 < 25 ms", tm, lambda r: r["p99"] < 25, lambda r: f"{r['p99']:.2f} ms")
    s = row("sqlite", "sign-in")

    def raw_rate(r):  # measured right before this sign-in run, else at the start
        return float(r["argon2"]["verifies_per_second"]) if r["argon2"] else argon_rate

    if s is not None and raw_rate(s):
        check("sign-in: ≥ 92 % of the raw argon2id verify rate (measured right before it)", s,
              lambda r: r["rps"] >= 0.92 * raw_rate(r),
              lambda r: f"{r['rps']:.1f}/s = {100 * r['rps'] / raw_rate(r):.0f} % of {raw_rate(r):.1f}/s")
    check("/healthz p99 < 25 ms during sign-in", s, lambda r: r["probe"] and r["probe"]["p99"] < 25,
          lambda r: f"{r['probe']['p99']:.2f} ms" if r["probe"] else "n/a")
    b = next((b for b in bulk if b["db"] == "sqlite"), None)
    if b is None:
        t.append(("import of 1,000 rows: < 10 s (issue 15: \"in seconds\")", "not run", False))
    else:
        t.append(("import of 1,000 rows: < 10 s (issue 15: \"in seconds\")", f"{b['seconds']:.2f} s",
                  b["seconds"] < 10))
    for db in sorted({r["db"] for r in rows} - {"peer"}):
        rss = [r["rss_mb"] for r in rows if r["db"] == db and r["rss_mb"] is not None]
        if rss:
            t.append((f"peak RSS ≤ 64 MB in every scenario ({db})", f"max {max(rss):.1f} MB",
                      max(rss) <= 64))
    for name in ("members", "team", "me"):
        for members in sorted({r["members"] for r in rows}):
            sq, pg = row("sqlite", name, members), row("postgres", name, members)
            if sq and pg and sq["members"] == members and pg["members"] == members:
                ok = pg["rps"] * 1.5 >= sq["rps"] and pg["p99"] <= 1.5 * sq["p99"]
                t.append((f"PostgreSQL within 1.5× of SQLite: {name}, {members:,} members",
                          f"{pg['rps']:,.0f} vs {sq['rps']:,.0f} req/s; p99 {pg['p99']:.2f} vs {sq['p99']:.2f} ms",
                          ok))
    return t


def write_results(out, table, work, args):
    previous = out.read_text() if out.exists() else ""
    notes = previous.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in previous else "\n\n(none yet)\n"
    import os

    try:
        if os.environ.get("BENCH_COMMIT"):
            raise OSError("BENCH_COMMIT given")
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = os.environ.get("BENCH_COMMIT", "unknown")
    machine = (work / "machine.txt").read_text().rstrip()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""# Benchmark results

Written by `make bench` (`bench/run.sh`), {now}, commit {commit}.
Build {args.build_seconds} s, scenarios {args.bench_seconds} s. The load generator (wrk) and
Chromium run on the same machine as the server. How to read and re-run it:
bench/README.md.

## Machine

```
{machine}
```

{table}

## Notes
{NOTES_MARKER}{notes}"""
    out.write_text(text)
    print(f"\nbench: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
