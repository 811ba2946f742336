-- wrk: POST /api/v1/invitations with a unique email per request.
-- Env: BENCH_KEY (an Admin's API key), BENCH_PREFIX (unique per run).
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"),
  ["Content-Type"] = "application/json",
}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
function request()
  counter = counter + 1
  local body = string.format('{"first_name":"B","last_name":"T","email":"%s-%d-%d@example.com"}',
    prefix, tid or 0, counter)
  return wrk.format("POST", "/api/v1/invitations", headers, body)
end
