-- wrk script: rotate through the benchmark's query paths, with the bearer token.
--   wrk -s bench/rotate.lua http://127.0.0.1:PORT -- PATHS_FILE TOKEN
-- Each wrk thread starts at a different offset; done() prints one machine-readable line
-- that bench/match.py parses (errors.status counts answers with a status above 399).

local paths = {}
local token = ""
local counter = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads * 7)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(paths, line) end
  end
  token = args[2]
  counter = offset or 0
end

function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d mean_us=%.1f bad_status=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, e.status, e.connect + e.read + e.write + e.timeout))
end
