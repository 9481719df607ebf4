wrk.method = "POST"
wrk.body = '"ping"'
wrk.headers["Content-Type"] = "application/json"
