-- POST /webhooks/<provider>: every request one distinct, validly signed payment event, read from a file of
-- "<signature header>\t<json body>" lines that bench/harness.py writes just before the run (signatures expire).
-- Thread k of n sends lines k, k+n, k+2n, ...; a thread that runs out starts over (the harness counts the events
-- applied, so a reused event shows). `wrk -t2 ... -s webhook.lua <url> -- <events file> 2`.
local requests = {}
local position = 0
local threads = 0

function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

function init(args)
  local path, thread_count = args[1], tonumber(args[2]) or 1
  local line_number = 0
  for line in io.lines(path) do
    if line_number % thread_count == (index or 0) then
      local signature, body = line:match("^([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json", ["Vitrine-Signature"] = signature,
      }, body)
    end
    line_number = line_number + 1
  end
end

function request()
  position = position % #requests + 1
  return requests[position]
end
