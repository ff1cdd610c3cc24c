-- wrk script: calls one server function over and over as a signed-in member. bench-workspace.sh
-- passes the session cookie, the CSRF token, the endpoint and its form-encoded arguments.
function init(args)
  wrk.method = "POST"
  wrk.path = os.getenv("FN_PATH")
  wrk.body = os.getenv("FN_BODY")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Accept"] = "application/json"
  wrk.headers["Cookie"] = os.getenv("FN_COOKIE")
  wrk.headers["x-csrf-token"] = os.getenv("FN_TOKEN")
end

function response(status, headers, body)
  if status ~= 200 then
    failures = (failures or 0) + 1
    if failures == 1 then io.stderr:write("unexpected " .. status .. ": " .. body .. "\n") end
  end
end
