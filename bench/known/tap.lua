-- wrk script: taps "this affects me too" on a known issue, each tap with
-- its own tap id, and counts the 303s ("counted") it gets back: the store
-- must then hold exactly that many taps.
--
-- Environment: CSRF and COOKIE (a pair from GET /feedback, as a browser
-- gets it), ISSUE (the issue's number), TAP_SECONDS (after that each
-- connection sends GET /healthz, so no tap is in flight when wrk stops).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  csrf = os.getenv("CSRF")
  issue = os.getenv("ISSUE")
  deadline = os.time() + tonumber(os.getenv("TAP_SECONDS") or "29")
  sent, counted, refused, seq = 0, 0, 0, 0
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = os.getenv("COOKIE"),
  }
end

function request()
  if os.time() >= deadline then
    return wrk.format("GET", "/healthz")
  end
  seq = seq + 1
  sent = sent + 1
  local body = "csrf=" .. csrf .. "&tap_id=bench-tap-" .. tid .. "-" .. seq .. "&clinic=east&role=nurse"
  return wrk.format("POST", "/known/" .. issue .. "/tap", headers, body)
end

function response(status, headers, body)
  if status == 303 then
    counted = counted + 1
  elseif status ~= 200 then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local s, c, r = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sent")
    c = c + t:get("counted")
    r = r + t:get("refused")
  end
  io.write(string.format("BENCH sent=%d counted=%d refused=%d\n", s, c, r))
  io.write(string.format("BENCH p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
