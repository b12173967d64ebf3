-- wrk script: each connection waits SLUICE_LOAD_DELAY_MS milliseconds (default 2) before each
-- request, so that the load has an upper bound of connections * 1000 / delay requests a second.
local delay_ms = tonumber(os.getenv("SLUICE_LOAD_DELAY_MS") or "2")

function delay()
  return delay_ms
end
