-- wrk script: each thread signs in over and over with its own session, following the session
-- cookie as sign-in rotates it. Threads get their cookie and CSRF token from bench.sh.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("cookie", os.getenv("SIGNIN_COOKIE_" .. counter))
  thread:set("token", os.getenv("SIGNIN_TOKEN_" .. counter))
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.body = "form%5Bemail%5D=" .. os.getenv("SIGNIN_EMAIL") .. "&form%5Bpassword%5D=" .. os.getenv("SIGNIN_PASSWORD")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Accept"] = "application/json"
end

function request()
  wrk.headers["Cookie"] = cookie
  wrk.headers["x-csrf-token"] = token
  return wrk.format(nil, "/api/auth/sign_in")
end

function response(status, headers, body)
  local set = headers["set-cookie"] or headers["Set-Cookie"]
  if set then cookie = set:match("^([^;]+)") end
  if status >= 400 then failures = (failures or 0) + 1 end
end
