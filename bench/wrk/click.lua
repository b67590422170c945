-- GET /s/<code> as returning phones: each request carries one of N visitor cookies (default 500), in turn.
-- The User-Agent and Sec-Fetch-Dest headers come from wrk's -H options; `wrk ... -s click.lua <url> -- 500`.
local requests = {}
local position = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  local visitors = tonumber(args[1]) or 500
  for i = 1, visitors do
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Cookie"] = string.format("vt_visitor=benchvisitor%012d", i)
    requests[i] = wrk.format(nil, nil, headers)
  end
  position = (offset or 0) % #requests
end

function request()
  position = position % #requests + 1
  return requests[position]
end
