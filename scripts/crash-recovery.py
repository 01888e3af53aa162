#!/usr/bin/env python3
"""Crash-recovery check for `drawings serve` (stdlib only).

Starts the server on 127.0.0.1, uploads N drawings (the fixtures and the corpus' drawings,
round-robin), kills the server with SIGKILL while jobs are processing, restarts it on the
same data directory, and waits until every job is terminal. Prints counts by status and
error code, and exits 1 if a job was lost or never finished.

    scripts/crash-recovery.py [--binary target/release/drawings] [--jobs 50]
"""
import argparse, csv, json, os, pathlib, signal, subprocess, sys, tempfile, time, urllib.request, urllib.error
from collections import Counter

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def start(binary, data_dir, env):
    proc = subprocess.Popen([binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", data_dir, "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return proc, line.removeprefix("listening on ")


def request(url, data=None):
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/pdf"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def files():
    out = [ROOT / "fixtures" / "security-plan.pdf", ROOT / "fixtures" / "single-sheet.pdf"]
    manifest = CORPUS / "MANIFEST.tsv"
    if manifest.exists():
        with open(manifest) as f:
            out += [CORPUS / row["path"] for row in csv.DictReader(f, delimiter="\t") if row["category"] == "drawing"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "drawings"))
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    env = dict(os.environ, DRAWINGS_LEASE_SECS="5", RUST_LOG="error")
    data_dir = tempfile.mkdtemp(prefix="drawings-crash-")
    pool = files()
    proc, base = start(args.binary, data_dir, env)
    jobs = {}
    for n in range(args.jobs):
        path = pool[n % len(pool)]
        status, body = request(f"{base}/process-drawing", path.read_bytes())
        assert status == 202, (path, status, body)
        jobs[body["job_id"]] = path.name
    while all(request(f"{base}/status/{j}")[1]["status"] == "queued" for j in list(jobs)[:2]):
        time.sleep(0.05)
    time.sleep(1.0)
    states = Counter(request(f"{base}/status/{j}")[1]["status"] for j in jobs)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    print(f"killed with -9 after upload; states at the kill: {dict(states)}")
    proc, base = start(args.binary, data_dir, env)
    started, final = time.time(), {}
    try:
        while len(final) < len(jobs) and time.time() - started < args.timeout:
            for j in jobs:
                if j not in final:
                    status, body = request(f"{base}/status/{j}")
                    if body.get("status") in ("completed", "failed", "cancelled"):
                        final[j] = body
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()
    print(f"terminal after restart: {len(final)}/{len(jobs)} in {time.time() - started:.1f} s")
    print("by status:", dict(Counter(b["status"] for b in final.values())))
    print("failed by code:", dict(Counter(b["error"]["code"] for b in final.values() if b["status"] == "failed")))
    print("attempts:", dict(Counter(b["attempts"] for b in final.values())))
    for j, b in final.items():
        if b["status"] == "failed":
            print(f"  {jobs[j]}: {b['error']['code']}: {b['error']['message'][:120]}")
    lost = [jobs[j] for j in jobs if j not in final]
    if lost:
        print("NOT FINISHED:", lost)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
