-- wrk script: POST a counter rating with a fresh client_id per request.
-- Environment: BENCH_OFFICE (slug), BENCH_CSRF (token used as cookie and header).
local office = os.getenv("BENCH_OFFICE") or "bench-office"
local csrf = os.getenv("BENCH_CSRF") or ""
local counter = 0
local thread_seed = 0

function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

local function uuid4()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(template, "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  counter = counter + 1
  local rating = (counter % 10 == 0) and 1 or ((counter % 3 == 0) and 2 or 3)
  local body = string.format(
    '{"client_id":"%s","office":"%s","answers":{"rating":%d},"duration_seconds":%d,"language":"vi"}',
    uuid4(), office, rating, 20 + counter % 40)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["Referer"] = "http://127.0.0.1/",
  }
  return wrk.format("POST", wrk.path, headers, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("BENCH_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d errors_status=%d errors_connect=%d errors_timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), summary.errors.status, summary.errors.connect, summary.errors.timeout))
  -- Every latency (microseconds) with its count, so rounds can be merged exactly.
  local parts = {}
  for i = 1, #latency do
    local value, count = latency(i)
    parts[#parts + 1] = string.format("%d:%d", value, count)
  end
  io.write("BENCH_LATENCIES " .. table.concat(parts, ",") .. "\n")
end
