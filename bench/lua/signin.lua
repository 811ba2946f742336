-- wrk: POST /rpc/sign_in (the Sign In form, urlencoded) with a different
-- X-Forwarded-For per request, so the per-address limit (60/min) never
-- applies: the server runs with TRUSTED_PROXY_HEADER=x-forwarded-for.
-- Env: BENCH_EMAIL, BENCH_PASSWORD, BENCH_ORIGIN.
local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local body = "email=" .. urlencode(os.getenv("BENCH_EMAIL"))
  .. "&password=" .. urlencode(os.getenv("BENCH_PASSWORD")) .. "&next="
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Origin"] = os.getenv("BENCH_ORIGIN"),
}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  math.randomseed(os.time() * 100 + (tid or 0))
end
function request()
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/rpc/sign_in", headers, body)
end
