# Stratus's Python runtime client: the Lambda Runtime API loop for "module.function" handlers.
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

# host:port, as on AWS.
_host, _, _port = os.environ["AWS_LAMBDA_RUNTIME_API"].rpartition(":")
_base = "/2018-06-01/runtime"
_connection = None


def _call(method, path, body=None, headers=None):
    global _connection
    for attempt in (1, 2):
        if _connection is None:
            _connection = http.client.HTTPConnection(_host, int(_port))
        try:
            _connection.request(method, _base + path, body=body, headers=headers or {})
            response = _connection.getresponse()
            return response, response.read()
        except (http.client.HTTPException, OSError):
            _connection.close()
            _connection = None
            if attempt == 2:
                raise


def _error_document(error, error_type=None):
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)[1:]) if error.__traceback__ else [],
    }


def _post_error(path, document):
    body = json.dumps(document).encode()
    _call("POST", path, body, {"Content-Type": "application/json",
                               "Lambda-Runtime-Function-Error-Type": document["errorType"]})


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, client_context):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = json.loads(client_context) if client_context else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _load_handler():
    handler = os.environ.get("_HANDLER", "")
    module_path, _, function_name = handler.rpartition(".")
    if not module_path or not function_name:
        raise _InitError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}")
    except SyntaxError as e:
        raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}")
    function = getattr(module, function_name, None)
    if function is None:
        raise _InitError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return function


_request_id = None


class _JsonLogFormatter:
    """A record as AWS's Python runtime writes it with the JSON log format: timestamp, level, message, logger, requestId."""

    def format(self, record):
        document = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "level": "WARN" if record.levelname == "WARNING" else "FATAL" if record.levelname == "CRITICAL" else record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if _request_id:
            document["requestId"] = _request_id
        if record.exc_info:
            document["errorType"] = record.exc_info[0].__name__
            document["errorMessage"] = str(record.exc_info[1])
        return json.dumps(document, default=str)


class _TextLogFormatter(logging.Formatter):
    """A record as AWS's Python runtime writes it with the Text log format: [LEVEL]<TAB>timestamp<TAB>requestId<TAB>message,
    with Python's level names (WARNING, CRITICAL) and the time in UTC to the millisecond."""

    def format(self, record):
        timestamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % record.msecs
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        return f"[{record.levelname}]\t{timestamp}\t{_request_id or ''}\t{message}"


def _configure_logging():
    """The root logger gets the runtime's handler, in the format LoggingConfig names (AWS_LAMBDA_LOG_FORMAT), as AWS's
    runtime client sets it up: Text records at the root's own level (Python's default WARNING, which AWS leaves as it
    is), JSON records at AWS_LAMBDA_LOG_LEVEL."""
    handler = logging.StreamHandler(sys.stdout)
    root = logging.getLogger()
    root.handlers = [handler]
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") != "JSON":
        handler.setFormatter(_TextLogFormatter())
        return
    levels = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
              "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}
    handler.setFormatter(_JsonLogFormatter())
    root.setLevel(levels.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper(), logging.INFO))


class _InitError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def main():
    global _request_id
    _configure_logging()
    try:
        handler = _load_handler()
    except _InitError as e:
        _post_error("/init/error", {"errorMessage": str(e), "errorType": e.error_type, "requestId": "", "stackTrace": []})
        sys.exit(1)
    except Exception as e:
        _post_error("/init/error", _error_document(e))
        sys.exit(1)

    while True:
        response, body = _call("GET", "/invocation/next")
        request_id = _request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        context = LambdaContext(request_id, int(response.getheader("Lambda-Runtime-Deadline-Ms") or 0),
                                response.getheader("Lambda-Runtime-Invoked-Function-Arn"),
                                response.getheader("Lambda-Runtime-Client-Context"))
        os.environ["_X_AMZN_TRACE_ID"] = response.getheader("Lambda-Runtime-Trace-Id") or ""
        try:
            event = json.loads(body) if body else None
            result = json.dumps(handler(event, context)).encode()
        except Exception as e:
            document = _error_document(e)
            document["requestId"] = request_id
            print(f"[ERROR] {document['errorType']}: {document['errorMessage']}", flush=True)
            _post_error(f"/invocation/{request_id}/error", document)
            continue
        sys.stdout.flush()
        _call("POST", f"/invocation/{request_id}/response", result, {"Content-Type": "application/json"})


main()
