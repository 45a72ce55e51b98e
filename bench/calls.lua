-- wrk script: post calls of a campaign with the bearer token.
--   wrk -t1 -s bench/calls.lua http://127.0.0.1:PORT -- PATHS_FILE TOKEN AT [REPLAY_IDS]
-- Without REPLAY_IDS every call has a new client UUID (one wrk thread, -t1: one random
-- sequence, so every id is new). With REPLAY_IDS=N the requests cycle over N fixed calls
-- (id, check, outcome and time fixed), each posted again and again at once: the database
-- must keep N rows. done() prints the same machine-readable line as rotate.lua.

local paths = {}
local token = ""
local at = ""
local replay = 0
local counter = 0
local outcomes = {"ok", "not_reached", "needs_help"}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(paths, line) end
  end
  token = args[2]
  at = args[3]
  replay = tonumber(args[4] or "0")
  math.randomseed(os.time())
end

local function uuid()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  counter = counter + 1
  local index = counter
  local id
  if replay > 0 then
    index = counter % replay
    id = string.format("00000000-0000-4000-8000-%012d", index)
  else
    id = uuid()
  end
  local path = paths[(index % #paths) + 1]
  local body = string.format('{"id":"%s","at":"%s","channel":"phone","outcome":"%s"}',
                             id, at, outcomes[(index % 3) + 1])
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token,
                                   ["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d mean_us=%.1f bad_status=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, e.status, e.connect + e.read + e.write + e.timeout))
end
