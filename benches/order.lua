-- wrk script: POST a 3-line order (3 producers, one unit each, cash on delivery) with a fresh
-- Idempotency-Key per request. Env: SLUG, SKUS (comma list in producer order, 20 per producer),
-- TOTAL (the previewed grand total), RUN (a prefix unique to this run).
local skus = {}
for s in string.gmatch(os.getenv("SKUS"), "[^,]+") do skus[#skus + 1] = s end
local total = os.getenv("TOTAL")
local path = "/api/v1/aggregators/" .. os.getenv("SLUG") .. "/shop/orders"
local run = os.getenv("RUN")
local threads = 0
local counter = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local function sku(p, i)
  return skus[(p % 100) * 20 + (i % 20) + 1]
end

local buyer = '"buyer":{"name":"山田 花子","email":"hanako@example.jp","phone":"090-1234-5678","postal_code":"100-0001","prefecture":"13","city":"千代田区千代田","address1":"1-2-3"}'

function request()
  counter = counter + 1
  local i = counter * 7 + tid
  local body = '{"lines":[{"sku_id":"' .. sku(i, i) .. '","qty":1},{"sku_id":"' .. sku(i + 33, i) ..
    '","qty":1},{"sku_id":"' .. sku(i + 66, i) .. '","qty":1}],' .. buyer ..
    ',"payment_method":"cash_on_delivery","time_slot":"1416","expected_total":' .. total .. '}'
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter
  headers["X-Client-Id"] = run .. "-" .. tid
  return wrk.format("POST", path, headers, body)
end
