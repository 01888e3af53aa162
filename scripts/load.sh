#!/usr/bin/env bash
# Load test of the HTTP API of `drawings serve`, on 127.0.0.1 only, with wrk (Debian's
# package; scripts/setup.sh installs it). It stops by itself: five phases of LOAD_SECONDS
# each (20 s by default), every wrk run also capped by `timeout`, then the server is stopped
# and its temporary data directory deleted.
#
# What it does:
#   1. builds target/release/drawings (unless LOAD_BINARY names a binary);
#   2. makes a temporary data directory with one API key (`drawings keys create`), so the
#      server runs with authentication on, as in production; the key's rate limit is turned
#      off (DRAWINGS_RATE_LIMIT_PER_MINUTE=0), else every request past the 30-request burst
#      would be a 429;
#   3. starts `drawings serve --addr 127.0.0.1:0 --workers LOAD_WORKERS` (2, the default)
#      with the offline text-layer analyzer (no network);
#   4. submits fixtures/single-sheet.pdf once and waits for that job to complete: the job the
#      /status phases poll;
#   5. makes a 1 MiB PDF: single-sheet.pdf plus an incremental update holding an unreferenced
#      1 MiB stream of random bytes (a valid PDF that `drawings inspect` opens);
#   6. runs wrk with LOAD_CONNECTIONS (64) connections on LOAD_THREADS (2) threads, one phase
#      after the other against the same server:
#        health  GET /health            (the anchor: no auth, no store)
#        status  GET /status/{job_id}   (with the key; reads the job from SQLite)
#        submit  POST /process-drawing  (the 1 MiB PDF with the key, no Idempotency-Key, so
#                                        every request creates a job; the server's workers
#                                        start processing them at once, as in production),
#                                        back to back: the server's capacity for uploads
#        paced   the same uploads offered at LOAD_SUBMIT_RATE a second (200), arriving as
#                clients do (a Poisson process: each connection waits a random gap of mean
#                connections / rate before each request): an upload's latency at that load
#        mixed   status and submit at once, half the connections each: clients polling
#                while others upload, which is where one SQLite connection shows;
#   7. samples the server's VmRSS (/proc/PID/status) every 0.5 s.
#
# How to read the output: one line per wrk run,
#   phase  req/s  p50 ms  p99 ms  max ms  2xx  non-2xx  socket-errors  CPU  RSS MiB start/end/max
# where latencies are wrk's (per request, from the client's side), non-2xx counts every
# status outside 200-299 (scripts/load.lua counts them per status code) and socket errors are
# wrk's connect/read/write/timeout errors. CPU is the server process's own (user + system,
# in cores, averaged over the phase; its PDF worker processes are not counted): with 2 cores
# shared with wrk, near 1 means CPU-bound. Then the /status ÷ /health throughput ratio, the
# mixed /status throughput against /status alone, and each goal of issue 14 (/status >= 0.8x
# /health and p99 < 5 ms; submit p99 < 50 ms, at the paced rate: back to back on 64
# connections, an upload waits for the 63 before it, so that phase's p99 is about 64 divided
# by the throughput, a measure of capacity, and is printed beside; no errors; RSS flat, taken here as a phase
# ending within 10 % of its middle sample, so that the step at a phase's start, such as 64
# request bodies in flight, is shown but not counted as a drift) with "met" or "MISSED", and
# the jobs in the store by status at the end.
#
# The exit status is 0 when the run completed, whatever the figures (a benchmark, not a
# test); 1 if it could not run. The submit, paced and mixed phases store every upload (1 MiB a
# job) in the temporary directory ($TMPDIR, else /tmp), about 30 GB at 20 s a phase on the
# 2-core machine, deleted at the end; a phase that would not fit in four fifths of the free
# space there runs shorter (it says so), and one that could not run a second is left out.
#
# Settings (environment): LOAD_SECONDS (20), LOAD_CONNECTIONS (64), LOAD_THREADS (2),
# LOAD_WORKERS (2), LOAD_SUBMIT_RATE (200 uploads a second in the paced phase), LOAD_BINARY (build and use target/release/drawings), LOAD_KEEP=1 (keep
# the temporary directory: server log, RSS samples, wrk output), TMPDIR.
#
#   scripts/load.sh
#   LOAD_WORKERS=1 LOAD_SECONDS=10 scripts/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECS=${LOAD_SECONDS:-20}
CONNS=${LOAD_CONNECTIONS:-64}
THREADS=${LOAD_THREADS:-2}
WORKERS=${LOAD_WORKERS:-2}
RATE=${LOAD_SUBMIT_RATE:-200}
BIN=${LOAD_BINARY:-$ROOT/target/release/drawings}
FIXTURE=$ROOT/fixtures/single-sheet.pdf

say() { printf '[load] %s\n' "$*"; }
die() { printf '[load] error: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found: run scripts/setup.sh (or apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"
[[ $SECS =~ ^[0-9]+$ && $SECS -ge 1 && $SECS -le 600 ]] || die "LOAD_SECONDS must be 1 to 600"
[[ $RATE =~ ^[0-9]+$ && $RATE -ge 1 ]] || die "LOAD_SUBMIT_RATE must be a whole number of requests a second"

if [[ -z ${LOAD_BINARY:-} ]]; then
  say "building target/release/drawings"
  cargo build --release --quiet --bin drawings
fi
[[ -x $BIN ]] || die "no binary at $BIN"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/drawings-load.XXXXXX")
DATA=$TMP/data
SERVER_PID=""
SAMPLER_PID=""

cleanup() {
  if [[ -n $SAMPLER_PID ]]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; fi
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    # SIGTERM lets the workers finish the deliveries in hand; past 30 s, SIGKILL.
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ ${LOAD_KEEP:-} == 1 ]]; then
    # The uploads are most of the disk the run took: kept, they could fill it.
    rm -rf "$DATA/blobs"
    say "kept $TMP (server.log, rss.tsv, wrk-*.txt, the store without its blobs)"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server's environment: offline analyzer, keys in the temporary data directory, no rate
# limit on the key; whatever the caller's shell exports for a real deployment is left out.
SERVER_ENV=(env -u GEMINI_API_KEY -u DRAWINGS_API_KEYS_FILE -u DRAWINGS_API_KEY
  DRAWINGS_ANALYZER=text-layer DRAWINGS_RATE_LIMIT_PER_MINUTE=0 DRAWINGS_DATA_DIR="$DATA")

KEY=$("${SERVER_ENV[@]}" "$BIN" keys create --client load --data-dir "$DATA" 2>/dev/null)
[[ $KEY == drw_* ]] || die "drawings keys create printed no key"

# 1 MiB PDF: the fixture, then an incremental update (PDF 32000-1 7.5.6) that adds one
# unreferenced stream object of random bytes and a cross-reference stream pointing back to
# the fixture's (/Prev), padded so the whole file is exactly 1,048,576 bytes.
PDF=$TMP/one-mib.pdf
python3 - "$FIXTURE" "$PDF" <<'PY'
import random, re, sys
src, dst = sys.argv[1], sys.argv[2]
TARGET = 1 << 20
orig = open(src, "rb").read()
if not orig.endswith(b"\n"):
    orig += b"\n"
prev = int(re.findall(rb"startxref\s+(\d+)", orig)[-1])
trailer = orig[prev:orig.index(b"stream", prev)]
assert b"/XRef" in trailer, "the fixture's last cross-reference section is not a stream"
size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", trailer).group(1)
info = re.search(rb"/Info\s+(\d+\s+\d+\s+R)", trailer)
info = b"/Info " + info.group(1) if info else b""

def build(n):
    pad_no, xref_no = size, size + 1
    pad_at = len(orig)
    pad = b"%d 0 obj\n<</Length %d>>stream\n" % (pad_no, n) + random.Random(14).randbytes(n) + b"\nendstream\nendobj\n"
    xref_at = pad_at + len(pad)
    rows = b"".join(b"\x01" + off.to_bytes(4, "big") + b"\x00\x00" for off in (pad_at, xref_at))
    xref = (b"%d 0 obj\n<</Type/XRef/Size %d/Index[%d 2]/W[1 4 2]/Root %s%s/Prev %d/Length %d>>stream\n"
            % (xref_no, xref_no + 1, pad_no, root, info, prev, len(rows))
            + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return orig + pad + xref

n = TARGET - len(build(0))
data = build(n)
data = build(n + TARGET - len(data))
assert len(data) == TARGET, len(data)
open(dst, "wb").write(data)
PY
"${SERVER_ENV[@]}" "$BIN" inspect "$PDF" >/dev/null 2>&1 || die "drawings inspect refuses the padded PDF $PDF"

"${SERVER_ENV[@]}" "$BIN" serve --addr 127.0.0.1:0 --data-dir "$DATA" --workers "$WORKERS" \
  >"$TMP/server.out" 2>"$TMP/server.log" &
SERVER_PID=$!
for _ in $(seq 300); do
  grep -q '^listening on ' "$TMP/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited: $(tail -5 "$TMP/server.log")"
  sleep 0.1
done
BASE=$(sed -n 's/^listening on //p' "$TMP/server.out")
[[ $BASE == http://127.0.0.1:* ]] || die "the server did not say where it listens"
curl -fsS "$BASE/health" | grep -q '"auth":"on"' || die "/health does not say auth is on"

# The job the status phase polls, completed first so that no job is processed meanwhile.
JOB=$(curl -fsS -X POST "$BASE/process-drawing" -H "x-api-key: $KEY" -H 'content-type: application/pdf' \
  --data-binary "@$FIXTURE" | python3 -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
for _ in $(seq 600); do
  STATE=$(curl -fsS "$BASE/status/$JOB" -H "x-api-key: $KEY" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
  [[ $STATE == completed || $STATE == failed || $STATE == cancelled ]] && break
  sleep 0.1
done
[[ $STATE == completed ]] || die "the polled job $JOB ended $STATE"
STATUS_BYTES=$(curl -fsS "$BASE/status/$JOB" -H "x-api-key: $KEY" | wc -c)

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }
echo idle >"$TMP/phase"
(
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    printf '%s\t%s\n' "$(cat "$TMP/phase")" "$(rss_kib)"
    sleep 0.5
  done
) >"$TMP/rss.tsv" &
SAMPLER_PID=$!

say "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "server $BASE (pid $SERVER_PID), $WORKERS workers, auth on (1 key, no rate limit), polled job $JOB ($STATUS_BYTES-byte status body)"
say "wrk: $CONNS connections, $THREADS threads, ${SECS} s a phase; the PDF is $(stat -c %s "$PDF") bytes"

# One line a wrk run in phases.tsv: its name, the server's VmRSS KiB at the phase's start and
# end, the server's CPU (user + system of its own threads, not its PDF workers) in cores over
# the phase, and wrk's RESULT line. A phase is one wrk run, or two at once (mixed).
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }
wrk_run() { # name connections url [body file] [requests a second offered]
  local name=$1 conns=$2 url=$3 body=${4:-} rate=${5:-} gap=""
  [[ -n $rate ]] && gap=$(awk -v c="$conns" -v r="$rate" 'BEGIN { printf "%.3f", c * 1000 / r }')
  LOAD_PHASE=$name LOAD_API_KEY=$([[ $name == health ]] || echo "$KEY") LOAD_BODY_FILE=$body LOAD_GAP_MS=$gap \
    timeout $((PHASE_SECS + 60)) wrk -t"$THREADS" -c"$conns" -d"${PHASE_SECS}s" --timeout 10s -s "$ROOT/scripts/load.lua" "$url" \
    >"$TMP/wrk-$name.txt" 2>&1 || say "wrk exited with $? in $name"
}
run_phase() { # phase, then one or more "name|connections|url|body|rate" specs, run at once
  local phase=$1 rss0 rss1 cpu0 cpu1 t0 t1 cores spec name conns url body rate result pids=()
  shift
  rss0=$(rss_kib) cpu0=$(cpu_ticks) t0=$(date +%s.%N)
  echo "$phase" >"$TMP/phase"
  for spec in "$@"; do
    IFS='|' read -r name conns url body rate <<<"$spec"
    wrk_run "$name" "$conns" "$url" "$body" "$rate" &
    pids+=($!)
  done
  wait "${pids[@]}"
  echo "after-$phase" >"$TMP/phase"
  rss1=$(rss_kib) cpu1=$(cpu_ticks) t1=$(date +%s.%N)
  cores=$(awk -v a="$cpu0" -v b="$cpu1" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) }')
  for spec in "$@"; do
    name=${spec%%|*}
    result=$(grep '^RESULT ' "$TMP/wrk-$name.txt" || echo "RESULT phase=$name missing=1")
    say "$result"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$phase" "$rss0" "$rss1" "$cores" "$result" >>"$TMP/phases.tsv"
  done
}

# How long a phase that stores `$1` MiB a second at most may run: LOAD_SECONDS, or less when
# the free space under the data directory (four fifths of it) would not hold that long.
fitting_seconds() {
  local free_mib fit
  free_mib=$(df -Pm "$DATA" | awk 'NR == 2 { print $4 }')
  fit=$(( free_mib * 4 / 5 / $1 ))
  if (( fit < SECS )); then
    say "only ${free_mib} MiB free under $DATA: the next phase runs ${fit} s, not ${SECS}" >&2
    echo "$fit"
  else
    echo "$SECS"
  fi
}
# Uploads back to back reach about 800 a second on the 2-core machine; 1,000 leaves a margin.
MAX_UPLOADS=1000
HALF=$((CONNS / 2))
PHASE_SECS=$SECS
run_phase health "health|$CONNS|$BASE/health|"
run_phase status "status|$CONNS|$BASE/status/$JOB|"
PHASE_SECS=$(fitting_seconds $MAX_UPLOADS)
(( PHASE_SECS >= 1 )) && run_phase submit "submit|$CONNS|$BASE/process-drawing|$PDF"
PHASE_SECS=$(fitting_seconds $((RATE * 3 / 2)))
(( PHASE_SECS >= 1 )) && run_phase paced "submit-paced|$CONNS|$BASE/process-drawing|$PDF|$RATE"
PHASE_SECS=$(fitting_seconds $MAX_UPLOADS)
(( PHASE_SECS >= 1 )) && run_phase mixed "status-mixed|$HALF|$BASE/status/$JOB|" "submit-mixed|$HALF|$BASE/process-drawing|$PDF"

JOBS=$(python3 - "$DATA" <<'PY'
import sqlite3, sys
conn = sqlite3.connect(f"file:{sys.argv[1]}/drawings.sqlite3?mode=ro", uri=True)
print(" ".join(f"{s}={n}" for s, n in conn.execute("SELECT status, count(*) FROM jobs GROUP BY status ORDER BY status")))
PY
) || JOBS="(could not read the store)"
DISK=$(du -sh "$DATA" | cut -f1)

echo
python3 - "$TMP/rss.tsv" "$TMP/phases.tsv" "$CONNS" "$RATE" <<'PY'
import sys
samples = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
phases = {}
for line in open(sys.argv[2]):
    name, phase_name, rss0, rss1, cores, result = line.rstrip("\n").split("\t")
    fields = dict(f.split("=", 1) for f in result.split()[1:])
    phase_samples = [int(kib) for phase, kib in samples if phase == phase_name and kib.isdigit()]
    phases[name] = dict(fields, rss0=int(rss0 or 0), rss1=int(rss1 or 0), cores=cores,
                        mid=phase_samples[len(phase_samples) // 2] if phase_samples else 0,
                        peak=max(phase_samples + [int(rss0 or 0), int(rss1 or 0)]))
num = lambda d, k: float(d.get(k, "nan"))
mib = lambda kib: f"{kib / 1024:.1f}"
print(f"{'phase':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'2xx':>7} {'non-2xx':>7} "
      f"{'sock-err':>8} {'CPU':>5}  RSS MiB start/end/max")
for name in phases:
    r = phases[name]
    print(f"{name:<12} {r.get('rps', '?'):>9} {r.get('p50_ms', '?'):>8} {r.get('p99_ms', '?'):>8} {r.get('max_ms', '?'):>8} "
          f"{r.get('ok', '?'):>7} {r.get('non2xx', '?'):>7} {r.get('socket_errors', '?'):>8} {r.get('cores', '?'):>5}  "
          f"{mib(r.get('rss0', 0))} / {mib(r.get('rss1', 0))} / {mib(r.get('peak', 0))}")
h, s, p, q = (phases.get(n, {}) for n in ("health", "status", "submit", "submit-paced"))
conns, rate = int(sys.argv[3]), int(sys.argv[4])
ratio = num(s, "rps") / num(h, "rps")
def goal(ok, text):
    print(f"  {'met   ' if ok else 'MISSED'}  {text}")
m = phases.get("status-mixed", {})
print(f"\n/status ÷ /health throughput: {ratio:.2f}")
print(f"/status while submits run (mixed) ÷ /status alone: {num(m, 'rps') / num(s, 'rps'):.2f} "
      f"({num(m, 'rps'):.0f} req/s on {m.get('requests', '?')} requests, p99 {num(m, 'p99_ms'):.2f} ms)")
goal(ratio >= 0.8, f"/status throughput >= 0.8x /health's ({ratio:.2f}x)")
goal(num(s, "p99_ms") < 5, f"/status p99 < 5 ms ({num(s, 'p99_ms'):.2f} ms; /health's {num(h, 'p99_ms'):.2f} ms)")
goal(num(q, "p99_ms") < 50, f"submit p99 < 50 ms at {rate} uploads/s offered ({num(q, 'p99_ms'):.2f} ms; "
     f"{num(q, 'rps'):.0f}/s served)")
print(f"  info    submit back to back on {conns} connections: {num(p, 'rps'):.0f}/s, the server's capacity here; "
      f"p99 {num(p, 'p99_ms'):.2f} ms, of which waiting in line is about {conns} / {num(p, 'rps'):.0f}/s = "
      f"{1000 * conns / num(p, 'rps'):.0f} ms")
errors = sum(int(d.get("non2xx", 1)) + int(d.get("socket_errors", 1)) for d in phases.values())
goal(errors == 0, f"no errors ({errors} non-2xx or socket errors over all phases)")
# Flat: no growth over the second half of a phase (end against the middle sample), so the
# step a phase takes at its start (64 request bodies in flight, more threads) is not a drift.
for name in ("health", "status", "submit", "paced", "mixed"):
    r = phases.get(name, phases.get("status-" + name, phases.get("submit-" + name, {})))
    a, m, b = r.get("rss0", 0), r.get("mid", 0), r.get("rss1", 0)
    goal(m > 0 and b <= m * 1.10, f"RSS flat in {name}'s second half: {mib(m)} -> {mib(b)} MiB ({b / max(m, 1):.2f}x; "
         f"{mib(a)} at the phase's start)")
PY
say "jobs in the store at the end: $JOBS; data directory $DISK"
