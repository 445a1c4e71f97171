-- wrk script used by bench/_load.py: counts responses by status and prints one JSON line.
-- Arguments after "--": none for a plain GET of the URL; or BODIES_FILE FIRST_LINE PATH to POST
-- each line of BODIES_FILE (JSON, one per line) once, in order, starting at FIRST_LINE (0-based).
-- When the bodies run out, requests become GET /healthz and are counted as "exhausted".

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  n201 = 0
  n2xx = 0
  nother = 0
  exhausted = 0
  bodies = nil
  next_body = 1
  plain = wrk.format(nil)
  if args[1] ~= nil and args[1] ~= "" then
    bodies = {}
    local first = tonumber(args[2] or "0")
    local index = 0
    for line in io.lines(args[1]) do
      if index >= first then
        bodies[#bodies + 1] = line
      end
      index = index + 1
    end
    post_path = args[3]
    post_headers = {["Content-Type"] = "application/json"}
    spare = wrk.format("GET", "/healthz")
  end
end

function request()
  sent = sent + 1
  if bodies == nil then
    return plain
  end
  local body = bodies[next_body]
  if body == nil then
    exhausted = exhausted + 1
    return spare
  end
  next_body = next_body + 1
  return wrk.format("POST", post_path, post_headers, body)
end

function response(status, headers, body)
  if status == 201 then
    n201 = n201 + 1
  end
  if status >= 200 and status < 300 then
    n2xx = n2xx + 1
  else
    nother = nother + 1
  end
end

function done(summary, latency, requests)
  local sent_all, n201_all, n2xx_all, nother_all, exhausted_all = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    sent_all = sent_all + (t:get("sent") or 0)
    n201_all = n201_all + (t:get("n201") or 0)
    n2xx_all = n2xx_all + (t:get("n2xx") or 0)
    nother_all = nother_all + (t:get("nother") or 0)
    exhausted_all = exhausted_all + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "err_connect": %d, "err_read": %d, ' ..
    '"err_write": %d, "err_status": %d, "err_timeout": %d, "lat_mean_us": %.1f, "lat_p50_us": %d, ' ..
    '"lat_p90_us": %d, "lat_p99_us": %d, "lat_max_us": %d, "sent": %d, "n201": %d, "n2xx": %d, ' ..
    '"nother": %d, "exhausted": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    sent_all, n201_all, n2xx_all, nother_all, exhausted_all))
end
