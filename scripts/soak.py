#!/usr/bin/env python3
"""Soak of `drawings serve` (stdlib only): many jobs, a few `kill -9`s, and the ledger.

What it does, on 127.0.0.1 only, and stops by itself:
  1. builds target/release/drawings and target/release/fake-gemini (unless --binary and
     --fake name them) and starts the fake Gemini server (testkit's, `--forget-media` so that
     its records stay small), so every page analysis is a `generateContent` call it counts;
  2. starts `drawings serve --workers W` on a temporary data directory with
     DRAWINGS_ANALYZER=gemini against the fake;
  3. calibration: one job per fixture, each alone, to learn how many calls a job of it makes;
  4. the soak: --jobs submits at a steady pace (a few in flight), cycling through the fixtures,
     each with its own Idempotency-Key; at --kills moments drawn at random over the run (after
     a random number of jobs submitted, between 5 and 95 % of them) the server gets SIGKILL
     and is restarted on the same port and data directory. A submit cut off by a kill is sent
     again with its key after the restart;
  5. waits until every job is terminal (or --timeout), sampling the server's VmRSS;
  6. the ledger: jobs lost (no terminal status), jobs created twice (one key, two ids), jobs
     completed with a schedule that differs from their calibration (the fake answers the same
     components for every page), model calls beyond the calibrated count (a page analyzed
     twice: a page whose answer was in flight at a kill is bought again, nothing else should
     be), RSS of each server run (after its first tenth, and at its end), and the data
     directory's size;
  7. the sweeper: the server is restarted under `faketime` 40 days ahead (the Debian package,
     which scripts/setup.sh installs; skipped with a note without it), which sweeps every job
     at start, and the blob directory must come back empty: nothing left that no job owns.

Exit status 1 when a job was lost or created twice, or a schedule differs; else 0 (the call
and RSS figures are reported, not judged: read them).

    scripts/soak.py [--jobs 1000] [--kills 5] [--workers 2] [--seed 1] [--timeout 3600]
"""
import argparse, json, os, pathlib, random, shutil, signal, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request, uuid
from collections import Counter

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = [ROOT / "fixtures" / "single-sheet.pdf", ROOT / "fixtures" / "security-plan.pdf"]
KEY = "soak-key"
TERMINAL = ("completed", "failed", "cancelled")


def call(url, data=None, headers=None, timeout=30):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def listening(proc, what):
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        sys.exit(f"{what} did not start: {line!r}")
    return line.removeprefix("listening on ")


def end_group(proc, sig, grace=30):
    """Sends `sig` to `proc`'s process group and waits until every process in it is gone
    (SIGKILL after `grace` seconds): the server, and the wrapper it may run under."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    deadline = time.time() + grace
    while True:
        proc.poll()
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        if time.time() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            deadline = time.time() + grace
        time.sleep(0.05)
    proc.wait()


class Server:
    """`drawings serve` on one port across restarts, with its RSS samples per run."""

    def __init__(self, binary, data_dir, workers, env, log):
        self.binary, self.data_dir, self.workers, self.env, self.log = binary, data_dir, workers, env, log
        self.addr, self.proc, self.runs = "127.0.0.1:0", None, []
        self.lock = threading.Lock()

    def start(self, prefix=()):
        # A session of its own: under `faketime` the server is the wrapper's child, and a
        # signal to the wrapper alone left it running after the soak.
        proc = subprocess.Popen([*prefix, self.binary, "serve", "--addr", self.addr, "--data-dir", self.data_dir,
                                 "--workers", str(self.workers)],
                                stdout=subprocess.PIPE, stderr=self.log, env=self.env, text=True,
                                start_new_session=True)
        base = listening(proc, "drawings serve")
        self.addr = base.removeprefix("http://")
        with self.lock:
            self.proc = proc
            self.runs.append([])
        return base

    def kill(self):
        with self.lock:
            proc = self.proc
        end_group(proc, signal.SIGKILL)

    def stop(self):
        end_group(self.proc, signal.SIGTERM)

    def sample_rss(self):
        with self.lock:
            pid, run = self.proc.pid, self.runs[-1]
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    run.append(int(line.split()[1]) / 1024)
        except OSError:
            pass


def submit(base, path, key):
    """Sends one drawing until the server answers (a kill may cut a request off)."""
    body = path.read_bytes()
    while True:
        try:
            status, answer = call(f"{base()}/process-drawing", body,
                                  {"content-type": "application/pdf", "idempotency-key": key})
            if status == 202 or status == 200:
                return answer["job_id"]
            sys.exit(f"submit of {path.name} answered {status}: {answer}")
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            time.sleep(0.2)


def status(base, job):
    try:
        return call(f"{base()}/status/{job}")[1]
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        return None


def components(base, job):
    code, body = call(f"{base()}/results/{job}/components.json")
    if code != 200:
        return None
    items = body.get("components", body) if isinstance(body, dict) else body
    return sorted(c.get("id", "") for c in items)


def wait_terminal(base, jobs, timeout, on_poll=lambda: None):
    final, started = {}, time.time()
    while len(final) < len(jobs) and time.time() - started < timeout:
        for job in jobs:
            if job not in final:
                answer = status(base, job)
                if answer and answer.get("status") in TERMINAL:
                    final[job] = answer
        on_poll()
        time.sleep(0.5)
    return final


def generate_calls(fake):
    return call(f"{fake}/_fake/stats")[1]["generate_calls"]


def du(path):
    return sum(f.stat().st_size for f in pathlib.Path(path).rglob("*") if f.is_file())


def build(binary, fake):
    if binary and fake:
        return binary, fake
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "drawings"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "drawings-testkit", "--bin", "fake-gemini"],
                   cwd=ROOT, check=True)
    release = ROOT / "target" / "release"
    return binary or str(release / "drawings"), fake or str(release / "fake-gemini")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--in-flight", type=int, default=8, help="submitted jobs not yet terminal, at most")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--binary")
    ap.add_argument("--fake")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    binary, fake_binary = build(args.binary, args.fake)

    tmp = tempfile.mkdtemp(prefix="drawings-soak-")
    data_dir = os.path.join(tmp, "data")
    fake_proc = subprocess.Popen([fake_binary, "--api-key", KEY, "--forget-media"], stdout=subprocess.PIPE, text=True)
    fake = listening(fake_proc, "fake-gemini")
    env = dict(os.environ, DRAWINGS_ANALYZER="gemini", GEMINI_API_KEY=KEY, DRAWINGS_GEMINI_BASE_URL=fake,
               DRAWINGS_LEASE_SECS="5", DRAWINGS_RETRY_DELAY_SECS="1", RUST_LOG="warn")
    server = Server(binary, data_dir, args.workers, env, open(os.path.join(tmp, "serve.log"), "a"))
    current = {"base": server.start()}
    base = lambda: current["base"]
    try:
        # Calibration: one job per fixture, alone.
        expected_calls, expected_ids = {}, {}
        for path in FIXTURES:
            before = generate_calls(fake)
            job = submit(base, path, f"calibrate-{path.name}")
            done = wait_terminal(base, [job], 300)
            if done.get(job, {}).get("status") != "completed":
                sys.exit(f"calibration job of {path.name} did not complete: {done.get(job)}")
            expected_calls[path.name] = generate_calls(fake) - before
            expected_ids[path.name] = components(base, job)
        print("calibration: model calls per job", expected_calls)
        calls_before = generate_calls(fake)

        # The soak: a submitter thread, kills at random moments over its run.
        keys = {f"soak-{n}-{uuid.uuid4()}": FIXTURES[n % len(FIXTURES)] for n in range(args.jobs)}
        jobs = {}
        open_jobs = set()
        done_submitting = threading.Event()

        def submitter():
            for key, path in keys.items():
                while len(open_jobs) >= args.in_flight:
                    time.sleep(0.05)
                job = submit(base, path, key)
                jobs[job] = path.name
                open_jobs.add(job)
            done_submitting.set()

        def reaper():
            # Keeps `open_jobs` at the jobs not yet terminal, so the submitter keeps a few in flight.
            while not (done_submitting.is_set() and not open_jobs):
                for job in list(open_jobs):
                    answer = status(base, job)
                    if answer and answer.get("status") in TERMINAL:
                        open_jobs.discard(job)
                server.sample_rss()
                time.sleep(0.2)

        started = time.time()
        threads = [threading.Thread(target=submitter, daemon=True), threading.Thread(target=reaper, daemon=True)]
        for t in threads:
            t.start()
        # Kill moments: at random points of the run, by jobs submitted (a prediction of the
        # run's length from the calibration overestimated it, and kills drawn past its end never
        # happened), each a random fraction of a second after its point, mid-processing.
        points = sorted(rng.sample(range(args.jobs // 20, args.jobs * 19 // 20), args.kills))
        kills_done = 0
        for point in points:
            while len(jobs) < point and not done_submitting.is_set():
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.0))
            server.kill()
            kills_done += 1
            current["base"] = server.start()
            print(f"kill -9 #{kills_done} at {time.time() - started:.0f} s, {len(jobs)} jobs submitted")
        done_submitting.wait()
        final = wait_terminal(base, list(jobs), args.timeout, server.sample_rss)
        took = time.time() - started
        soak_calls = generate_calls(fake) - calls_before
        expected = sum(expected_calls[name] for name in jobs.values())

        # Ledger.
        lost = [j for j in jobs if j not in final]
        by_status = Counter(b["status"] for b in final.values())
        codes = Counter(b["error"]["code"] for b in final.values() if b["status"] == "failed")
        differing = [j for j, b in final.items() if b["status"] == "completed"
                     and components(base, j) != expected_ids[jobs[j]]]
        # Every job the store holds: the calibration's and one per key, or a submit was
        # turned into two jobs.
        with sqlite3.connect(f"file:{data_dir}/drawings.sqlite3?mode=ro", uri=True) as db:
            stored = db.execute("SELECT count(*) FROM jobs").fetchone()[0]
        twice = stored - len(FIXTURES) - len(keys)
        size_end = du(data_dir)
        print(f"\n{len(jobs)} jobs ({Counter(jobs.values())}) in {took:.0f} s, {kills_done} kill -9s, "
              f"{args.workers} workers")
        print(f"terminal: {len(final)}; by status {dict(by_status)}; failed by code {dict(codes)}")
        print(f"lost: {len(lost)}; created twice: {twice}; completed with another schedule: {len(differing)}")
        print(f"model calls: {soak_calls} for {expected} calibrated ({soak_calls - expected:+d}; "
              f"pages in flight at {kills_done} kills are bought again)")
        for n, run in enumerate(server.runs):
            if len(run) >= 10:
                tenth = run[len(run) // 10]
                print(f"server run {n + 1}: RSS MiB after its first tenth {tenth:.0f}, end {run[-1]:.0f}, "
                      f"max {max(run):.0f} ({len(run)} samples)")
        server.stop()
        print(f"data directory: {size_end / 2**20:.1f} MiB after the soak")

        # The sweeper, 40 days later.
        if shutil.which("faketime"):
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            server.start(prefix=("faketime", "-f", "+40d"))
            blobs = pathlib.Path(data_dir, "blobs")
            # os.walk, not rglob: the sweeper deletes directories while this looks.
            files = lambda: [pathlib.Path(d, f) for d, _, fs in os.walk(blobs) for f in fs]
            deadline = time.time() + 120
            while files() and time.time() < deadline:
                time.sleep(1)
            server.stop()
            left = files()
            print(f"after the sweeper (40 days on): {du(data_dir) / 2**20:.1f} MiB, blob files left: {len(left)}")
            if left:
                print("  left:", [str(p.relative_to(blobs)) for p in left[:10]])
        else:
            left = []
            print("SKIP the sweeper check: `faketime` not installed (apt-get install faketime)")
        return 1 if lost or twice or differing or left else 0
    finally:
        if server.proc:
            end_group(server.proc, signal.SIGKILL)
        if fake_proc and fake_proc.poll() is None:
            fake_proc.kill()
        if args.keep:
            print("kept:", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
