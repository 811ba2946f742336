-- wrk: a paced probe (GET of the URL given on the command line), one
-- request every BENCH_DELAY_MS per connection, so measuring /healthz next to
-- the sign-in load does not itself take a core away from it.
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "10")
function delay()
  return pause
end
