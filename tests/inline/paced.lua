-- wrk script: each connection waits SLUICE_LOAD_DELAY_MS milliseconds (default 2) before each
-- request, so that the load is bounded (at most connections * 1000 / delay requests a second)
-- and the same on every run, whatever the machine.
local delay_ms = tonumber(os.getenv("SLUICE_LOAD_DELAY_MS") or "2")

function delay()
  return delay_ms
end
