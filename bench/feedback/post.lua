-- wrk script: POSTs valid feedback forms, each with its own submission id,
-- and counts the thank-you pages it gets back.
--
-- Environment: CSRF and COOKIE (a token pair fetched from GET /feedback
-- first, as a browser would), POST_SECONDS (after that, each connection
-- sends cheap GET /healthz instead, so no POST is in flight when wrk stops
-- and every POST sent gets its answer counted).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  csrf = os.getenv("CSRF")
  cookie = os.getenv("COOKIE")
  deadline = os.time() + tonumber(os.getenv("POST_SECONDS") or "29")
  posted, accepted, refused, seq = 0, 0, 0, 0
  post_headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }
end

function request()
  if os.time() >= deadline then
    return wrk.format("GET", "/healthz")
  end
  seq = seq + 1
  posted = posted + 1
  local body = "csrf=" .. csrf
    .. "&submission_id=bench-" .. tid .. "-" .. seq
    .. "&clinic=north&role=nurse&category=notes_slow&severity=slows_work&workaround=yes"
    .. "&text=Progress+notes+take+twice+as+long+since+go-live+" .. seq
    .. "&contact=ext+" .. tid
  return wrk.format("POST", "/feedback", post_headers, body)
end

function response(status, headers, body)
  if string.find(body, "Thank you: report #", 1, true) then
    accepted = accepted + 1
  elseif status ~= 200 or not string.find(body, "ok", 1, true) then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local p, a, r = 0, 0, 0
  for _, t in ipairs(threads) do
    p = p + t:get("posted")
    a = a + t:get("accepted")
    r = r + t:get("refused")
  end
  io.write(string.format("BENCH posted=%d accepted=%d refused=%d\n", p, a, r))
  io.write(string.format("BENCH p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("BENCH errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d errors_status=%d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
end
