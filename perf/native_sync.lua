-- stepd's native endpoint `POST /v1/state-machines/<name>:sync`, for wrk: the body is the raw
-- execution input, the file named by STEPD_WRK_BODY, sent byte for byte on every request. Only
-- method, headers and body are set, so wrk formats the request once per thread.
local path = assert(os.getenv("STEPD_WRK_BODY"), "STEPD_WRK_BODY: name the request body file")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = file:read("*a")
file:close()
