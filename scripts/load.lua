-- wrk script for scripts/load.sh (read that file first).
--
-- Environment:
--   LOAD_PHASE      the phase's name, printed in the RESULT line
--   LOAD_API_KEY    sent as x-api-key when set (GET /health ignores it)
--   LOAD_BODY_FILE  when set, every request is a POST of this file as application/pdf,
--                   with no Idempotency-Key, so each request creates a job
--   LOAD_GAP_MS     when set, each connection waits a random gap before each request,
--                   exponentially distributed with this mean: over many connections the
--                   requests arrive as a Poisson process of connections / gap a second (an
--                   offered load, as clients arrive), not back to back
--
-- Each thread counts the responses by status; done() adds them up and prints one line:
--   RESULT phase=NAME requests=N seconds=S rps=R p50_ms=A p90_ms=B p99_ms=C max_ms=D
--          ok=N non2xx=N socket_errors=N statuses=CODE:N,CODE:N
-- where ok counts 2xx, non2xx every other status, and socket_errors wrk's connect, read,
-- write and timeout errors.

local api_key = os.getenv("LOAD_API_KEY")
local body_file = os.getenv("LOAD_BODY_FILE")

if api_key and api_key ~= "" then
  wrk.headers["x-api-key"] = api_key
end

if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["content-type"] = "application/pdf"
end

local threads = {}

local gap_ms = tonumber(os.getenv("LOAD_GAP_MS") or "")

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end

function init(args)
  statuses = {}
  -- Each thread is its own Lua state: seeded apart, or they would draw the same gaps.
  math.randomseed(os.time() * 1000 + seed)
end

if gap_ms then
  function delay()
    return -math.log(1 - math.random()) * gap_ms
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts, ok, non2xx = {}, 0, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local keys = {}
  for status, n in pairs(counts) do
    table.insert(keys, status)
    if status >= 200 and status < 300 then ok = ok + n else non2xx = non2xx + n end
  end
  table.sort(keys)
  local parts = {}
  for _, status in ipairs(keys) do
    table.insert(parts, status .. ":" .. counts[status])
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT phase=%s requests=%d seconds=%.1f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      .. "ok=%d non2xx=%d socket_errors=%d statuses=%s\n",
    os.getenv("LOAD_PHASE") or "?", summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, ok, non2xx, e.connect + e.read + e.write + e.timeout,
    #parts > 0 and table.concat(parts, ",") or "none"))
end
