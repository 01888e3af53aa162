#!/usr/bin/env python3
"""Every file of the shared corpus through a full job on `drawings serve` (stdlib only).

Uploads each file in ../shared/corpus/MANIFEST.tsv, waits until every accepted job is
terminal, and prints the outcome per code and per manifest category, the slowest jobs, and
whether the server stayed up throughout. Exits 1 if a job never finished, the server died,
or an answer had no stable code.

    scripts/corpus-jobs.py [--binary target/release/drawings] [--timeout 1800]
"""
import argparse, csv, json, os, pathlib, re, subprocess, sys, tempfile, time, urllib.error, urllib.request
from collections import Counter, defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CODE = re.compile(r"^[A-Z][A-Z0-9_]+$")


def request(url, data=None):
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/pdf"} if data is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "drawings"))
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    if not (CORPUS / "MANIFEST.tsv").exists():
        print(f"skipping: {CORPUS} is absent")
        return 0
    with open(CORPUS / "MANIFEST.tsv") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    data_dir = tempfile.mkdtemp(prefix="drawings-corpus-")
    server = subprocess.Popen([args.binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", data_dir, "--workers", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, RUST_LOG="error"), text=True)
    base = server.stdout.readline().strip().removeprefix("listening on ")
    outcome, category, started, done, bad = {}, {}, {}, {}, []
    try:
        for row in rows:
            path = CORPUS / row["path"]
            status, body = request(f"{base}/process-drawing", path.read_bytes())
            if status == 202:
                started[body["job_id"]] = (row["path"], time.time())
                category[body["job_id"]] = row["category"]
            else:
                code = body.get("error", {}).get("code", "")
                outcome[row["path"]] = (row["category"], f"rejected {code}")
                if not CODE.match(code):
                    bad.append((row["path"], status, body))
        deadline = time.time() + args.timeout
        while len(done) < len(started) and time.time() < deadline and server.poll() is None:
            for job_id, (path, t0) in started.items():
                if job_id in done:
                    continue
                _, body = request(f"{base}/status/{job_id}")
                if body.get("status") in ("completed", "failed", "cancelled"):
                    done[job_id] = (body, time.time() - t0)
                    code = body["status"] if body["status"] != "failed" else body["error"]["code"]
                    outcome[path] = (category[job_id], code)
                    if body["status"] == "failed" and not CODE.match(code):
                        bad.append((path, 200, body))
            time.sleep(1)
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait()
    by_code = Counter(code for _, code in outcome.values())
    by_category = defaultdict(Counter)
    for cat, code in outcome.values():
        by_category[cat][code] += 1
    print(f"files: {len(rows)}; jobs accepted: {len(started)}; finished: {len(done)}; server alive to the end: {alive}")
    print("by outcome:", dict(by_code.most_common()))
    for cat, counts in sorted(by_category.items()):
        print(f"  {cat}: {dict(counts.most_common())}")
    slowest = sorted(((secs, started[j][0], b.get("status"), (b.get("error") or {}).get("code")) for j, (b, secs) in done.items()), reverse=True)[:5]
    print("slowest (seconds from upload, including queue wait):")
    for secs, path, status, code in slowest:
        print(f"  {secs:7.1f}  {path}  {status} {code or ''}")
    unfinished = [started[j][0] for j in started if j not in done]
    for item in unfinished:
        print("NOT FINISHED:", item)
    for item in bad:
        print("NO STABLE CODE:", item)
    return 1 if unfinished or bad or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
