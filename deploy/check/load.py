#!/usr/bin/env python3
"""Load for scripts/deploy-check.sh: signed-in clients calling server functions through the TLS
proxy in parallel, every request recorded; then verdicts over the records.

  load.py run --base URL --cafile PEM --seconds S --records FILE [--threads N]
              [--read=SLUG,COOKIE,TOKEN,EXPECT,FORBID]...   the businesses list of SLUG; its answer
                                                            must contain EXPECT and never FORBID
              [--write=SLUG,COOKIE,TOKEN,PREFIX]...         adds businesses named PREFIX-<thread>-<n>
  (One argument each, joined by commas after `=`: a token may begin with "-", which would
  otherwise read as an option.)
  load.py check RECORDS [--max-seconds X] [--allow-status CODE]... [--down-from T --up-at T
                         --recover-within S] [--acked-in NAMES_FILE]
  load.py lost RECORDS NAMES_FILE

`run` writes one JSON line per request: when it started (`t`), how long it took (`dt`), its kind,
the status (0 when no answer came), and for a write the business's name. `check` prints one line
and exits 1 when any request failed (other than with an allowed status), took too long, carried
another organisation's data, or when a write acknowledged with success is missing from
NAMES_FILE (the names the database holds). With --down-from/--up-at (the database's outage),
failures are allowed only from the outage's start until --recover-within seconds after it ended,
and some request must have succeeded after that. `lost` looks only for acknowledged writes
missing from NAMES_FILE (a later look at an earlier run's writes).
"""

import argparse
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse


def post(conn, path, fields, cookie, token):
    body = urllib.parse.urlencode(fields)
    conn.request(
        "POST",
        path,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Cookie": cookie,
            "x-csrf-token": token,
        },
    )
    response = conn.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def worker(args, spec, thread, deadline, out, lock):
    url = urllib.parse.urlsplit(args.base)
    context = ssl.create_default_context(cafile=args.cafile)
    conn = None
    n = 0
    while time.time() < deadline:
        n += 1
        if conn is None:
            conn = http.client.HTTPSConnection(
                url.hostname, url.port, context=context, timeout=args.timeout
            )
        kind, slug, cookie, token = spec[0], spec[1], spec[2], spec[3]
        entry = {"kind": kind, "thread": thread}
        if kind == "read":
            path = "/api/work/businesses"
            fields = {"slug": slug, "form[q]": "", "form[relationship]": "", "form[tag]": ""}
        else:
            entry["name"] = f"{spec[4]}-{thread}-{n}"
            path = "/api/work/create_business"
            fields = {"slug": slug, "form[name]": entry["name"], "form[relationship]": "supplier"}
            for f in ("address", "phone", "website", "notes", "tags"):
                fields[f"form[{f}]"] = ""
        started = time.time()
        try:
            status, text = post(conn, path, fields, cookie, token)
        except (OSError, http.client.HTTPException) as e:
            status, text = 0, ""
            entry["error"] = f"{type(e).__name__}: {e}"
            conn.close()
            conn = None
        entry.update(t=started, dt=round(time.time() - started, 4), status=status)
        if kind == "read" and status == 200:
            expect, forbid = spec[4], spec[5]
            if forbid in text:
                entry["wrong"] = f"contains {forbid!r}"
            elif expect not in text:
                entry["wrong"] = f"lacks {expect!r}"
        if status != 200 and status != 0:
            entry["body"] = text[:200]
        with lock:
            out.write(json.dumps(entry) + "\n")


def run(args):
    specs = [("read", *r) for r in args.read] + [("write", *w) for w in args.write]
    deadline = time.time() + args.seconds
    lock = threading.Lock()
    with open(args.records, "w", encoding="utf-8") as out:
        threads = [
            threading.Thread(target=worker, args=(args, spec, f"{i}.{k}", deadline, out, lock))
            for i, spec in enumerate(specs)
            for k in range(args.threads)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def read_records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def acknowledged(records):
    return [r["name"] for r in records if r["kind"] == "write" and r["status"] == 200]


def lost(acked, names_file):
    """One problem line when a write acknowledged with success is not in NAMES_FILE."""
    with open(names_file, encoding="utf-8") as f:
        stored = {line.rstrip("\n") for line in f}
    missing = [name for name in acked if name not in stored]
    if missing:
        return [f"{len(missing)} acknowledged write(s) missing from the database, e.g. {missing[0]}"]
    return []


def check_lost(args):
    acked = acknowledged(read_records(args.records))
    problems = lost(acked, args.names)
    print(f"{len(acked)} writes acknowledged" + "".join(f"; {p}" for p in problems))
    return 1 if problems else 0


def check(args):
    records = read_records(args.records)
    problems = []
    if not records:
        problems.append("no requests were made")
    allowed = set(args.allow_status)
    outage = args.down_from is not None
    recovered_at = args.up_at + args.recover_within if outage else None
    failed = [r for r in records if r["status"] != 200]
    for r in failed:
        in_outage = outage and args.down_from <= r["t"] + r["dt"] and r["t"] <= recovered_at
        if r["status"] in allowed and (not outage or in_outage):
            continue
        when = f" after {r['dt']:.1f} s"
        if outage:
            when += f" (sent {r['t'] - args.down_from:+.1f} s from the database's stop)"
        problems.append(
            f"{r['kind']} answered {r['status'] or r.get('error')}{when}: {r.get('body', '')[:60]!r}"
        )
    slow = [r for r in records if r["dt"] > args.max_seconds]
    if slow:
        problems.append(f"{len(slow)} request(s) took over {args.max_seconds} s (longest {max(r['dt'] for r in slow):.1f} s)")
    wrong = [r for r in records if r.get("wrong")]
    if wrong:
        problems.append(f"{len(wrong)} answer(s) with the wrong organisation's data, e.g. {wrong[0]['wrong']}")
    if outage:
        during = [r for r in records if args.down_from <= r["t"] <= args.up_at]
        if during and all(r["status"] == 200 for r in during):
            problems.append("no request failed while the database was down: the outage was not seen")
        after = [r for r in records if r["t"] > recovered_at]
        if not any(r["status"] == 200 for r in after):
            problems.append(f"nothing succeeded more than {args.recover_within} s after the database came back")
    acked = acknowledged(records)
    if args.acked_in:
        problems += lost(acked, args.acked_in)
    counts = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary = ", ".join(f"{n}×{s or 'no answer'}" for s, n in sorted(counts.items()))
    longest = max((r["dt"] for r in records), default=0)
    writes = f", {len(acked)} writes acknowledged" if any(r["kind"] == "write" for r in records) else ""
    print(f"{len(records)} requests ({summary}){writes}, longest {longest:.2f} s")
    seen = set()
    for p in problems:
        if p not in seen and len(seen) < 8:
            print(f"  {p}")
        seen.add(p)
    return 1 if problems else 0


def fields(n):
    """An argument of N comma-separated fields."""

    def parse(value):
        parts = value.split(",")
        if len(parts) != n:
            raise argparse.ArgumentTypeError(f"expected {n} fields separated by commas")
        return parts

    return parse


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--base", required=True)
    r.add_argument("--cafile", required=True)
    r.add_argument("--seconds", type=float, required=True)
    r.add_argument("--records", required=True)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--timeout", type=float, default=15)
    r.add_argument("--read", type=fields(5), action="append", default=[])
    r.add_argument("--write", type=fields(4), action="append", default=[])
    c = sub.add_parser("check")
    c.add_argument("records")
    c.add_argument("--max-seconds", type=float, default=10)
    c.add_argument("--allow-status", type=int, action="append", default=[])
    c.add_argument("--down-from", type=float)
    c.add_argument("--up-at", type=float)
    c.add_argument("--recover-within", type=float, default=10)
    c.add_argument("--acked-in")
    lo = sub.add_parser("lost")
    lo.add_argument("records")
    lo.add_argument("names")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
        return 0
    if args.command == "lost":
        return check_lost(args)
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
