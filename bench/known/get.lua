-- wrk script: GETs the feedback form for east's nurses, the page that
-- lists east's known issues above the form, and counts the pages that do
-- show them (a page without them would be a silent failure).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  shown, missing = 0, 0
end

function request()
  return wrk.format("GET", "/feedback?clinic=east&role=nurse")
end

function response(status, headers, body)
  if status == 200 and string.find(body, "This affects me too", 1, true) then
    shown = shown + 1
  else
    missing = missing + 1
  end
end

function done(summary, latency, requests)
  local s, m = 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("shown")
    m = m + t:get("missing")
  end
  io.write(string.format("BENCH shown=%d missing=%d\n", s, m))
  io.write(string.format("BENCH p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("BENCH errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d errors_status=%d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
end
