#!/usr/bin/env bash
# Smoke test of a running drawings API: a deployed stack, or `drawings serve` on this machine.
#   scripts/smoke.sh BASE_URL [API_KEY]
#   scripts/smoke.sh "$(aws cloudformation describe-stacks --stack-name drawings-staging \
#       --query "Stacks[0].Outputs[?OutputKey=='ApiUrl'].OutputValue" --output text)" "$KEY"
# It checks GET /health, submits a fixture PDF (POST /process-drawing, application/pdf),
# polls GET /status/{job_id} until the job ends, and fetches its components.json through the
# link the status gives (a presigned S3 URL on AWS, a /results path elsewhere), which must be
# the JSON of a schedule. Exit 0 only when the job completed and its result is readable;
# otherwise 1, with the last answer printed. The API key may also come from DRAWINGS_API_KEY
# (sent as x-api-key); with none, the requests carry no key (an open API, or a 401).
# Settings (environment): SMOKE_FIXTURE (default fixtures/single-sheet.pdf), SMOKE_TIMEOUT
# seconds to wait for the job (default 600), SMOKE_POLL seconds between polls (default 3).
# Needs curl and python3 (for the JSON); nothing is installed.
set -euo pipefail

say() { printf '[smoke] %s\n' "$*"; }
die() { printf '[smoke] FAILED: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 BASE_URL [API_KEY]" >&2; exit 2; }
base=${1%/}
key=${2:-${DRAWINGS_API_KEY:-}}
root=$(cd "$(dirname "$0")/.." && pwd)
fixture=${SMOKE_FIXTURE:-$root/fixtures/single-sheet.pdf}
timeout=${SMOKE_TIMEOUT:-600}
poll=${SMOKE_POLL:-3}
[[ -f $fixture ]] || die "no fixture at $fixture"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"

auth=()
[[ -n $key ]] && auth=(-H "x-api-key: $key")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# request METHOD URL [curl args...]: the status code on stdout, the body in $tmp/body.
request() {
  local method=$1 url=$2
  shift 2
  : >"$tmp/body"
  # curl prints 000 when it gets no answer at all; its own error goes to stderr.
  curl -sS -o "$tmp/body" -w '%{http_code}' -X "$method" --max-time 60 "$@" "$url" || true
}
# field NAME...: a field of the JSON in $tmp/body (nested names for nested objects), or "".
field() {
  python3 - "$tmp/body" "$@" <<'PY'
import json, sys
try:
    value = json.load(open(sys.argv[1]))
    for name in sys.argv[2:]:
        value = value.get(name) if isinstance(value, dict) else None
except ValueError:
    value = None
print("" if value is None else value if isinstance(value, str) else json.dumps(value))
PY
}

code=$(request GET "$base/health" "${auth[@]}")
[[ $code == 200 ]] || die "GET /health answered $code: $(head -c 500 "$tmp/body")"
say "GET /health: 200"

started=$(date +%s)
code=$(request POST "$base/process-drawing" "${auth[@]}" -H 'content-type: application/pdf' \
  -H "x-file-name: $(basename "$fixture")" --data-binary "@$fixture")
[[ $code == 202 ]] || die "POST /process-drawing answered $code: $(head -c 500 "$tmp/body")"
job=$(field job_id)
[[ -n $job ]] || die "POST /process-drawing answered no job_id: $(head -c 500 "$tmp/body")"
say "submitted $(basename "$fixture"): job $job"

status=queued
while :; do
  code=$(request GET "$base/status/$job" "${auth[@]}")
  [[ $code == 200 ]] || die "GET /status/$job answered $code: $(head -c 500 "$tmp/body")"
  status=$(field status)
  case $status in
    completed) break ;;
    failed | cancelled) die "job $job ended $status: $(field error)" ;;
  esac
  if (($(date +%s) - started > timeout)); then
    die "job $job still $status after ${timeout}s: $(head -c 500 "$tmp/body")"
  fi
  sleep "$poll"
done
link=$(field result components)
say "job $job completed in $(($(date +%s) - started)) s"

[[ -n $link ]] || die "the completed job links no components.json: $(head -c 500 "$tmp/body")"
# A presigned link carries its own authorization; a path of the API needs the key.
if [[ $link == http://* || $link == https://* ]]; then
  code=$(request GET "$link" -L)
else
  code=$(request GET "$base$link" -L "${auth[@]}")
fi
[[ $code == 200 ]] || die "components.json answered $code: $(head -c 500 "$tmp/body")"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/body" 2>/dev/null ||
  die "components.json is not JSON: $(head -c 300 "$tmp/body")"
say "components.json: $(wc -c <"$tmp/body") bytes of JSON"
say "OK: $base"
