-- StartSyncExecution in the AWS JSON 1.0 protocol, for wrk. perf/wrk_api.py sends it to stepd's
-- `POST /` and, unchanged, to the HTTP floor. The body is the file named by STEPD_WRK_BODY, sent
-- byte for byte on every request. Only method, headers and body are set: without request/response
-- callbacks wrk formats the request once per thread and measures the server, not Lua.
local path = assert(os.getenv("STEPD_WRK_BODY"), "STEPD_WRK_BODY: name the request body file")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartSyncExecution"
wrk.body = file:read("*a")
file:close()
