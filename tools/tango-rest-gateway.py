#!/usr/bin/python3
"""A small Tango REST API v1.1 gateway (the subset Contrast's TangoRestClient uses).

    /usr/bin/python3 tools/tango-rest-gateway.py [--host 127.0.0.1] [--port 8080]
        [--device-port 10000] [--timeout-ms 2000] [--user U --password P]

Routes, under /tango/rest/v11/hosts/{host};port={port}/devices/{domain}/{family}/{member}/:
  GET attributes/{name}/value      GET attributes/value?attr=a&attr=b
  PUT attributes/{name}/value?v=X  GET attributes/{name}/info
  GET state  GET status            PUT commands/{cmd}  (JSON body {"input": ...})

{host};port={port} is the Tango host. When no Tango database answers there, the device is
reached database-less at tango://{host}:{device-port}/{device}#dbase=no.
Standard library + PyTango only. --port 0 picks a free port; the "listening" line tells which.
"""
import argparse
import base64
import hmac
import json
import math
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import tango
from tango import utils

PREFIX = "/tango/rest/v11"
ROUTE = re.compile(r"^/hosts/([^/;]+);port=(\d+)/devices/([^/]+/[^/]+/[^/]+)(/.*)?$")


class HttpError(Exception):
    def __init__(self, status, reason, description):
        super().__init__(description)
        self.status, self.reason, self.description = status, reason, description


# --- Tango side ---------------------------------------------------------------------------

proxies = {}  # (host, port, device) -> (DeviceProxy, lock)
proxies_lock = threading.Lock()


def proxy(host, port, device):
    key = (host, port, device.lower())
    with proxies_lock:
        if key in proxies:
            return proxies[key]
    try:
        tango.Database(host, port)  # fails fast (connection refused / not a database)
        url = "tango://%s:%d/%s" % (host, port, device)
    except tango.DevFailed:
        url = "tango://%s:%d/%s#dbase=no" % (host, ARGS.device_port, device)
    p = tango.DeviceProxy(url)
    p.set_timeout_millis(ARGS.timeout_ms)
    entry = (p, threading.Lock())  # one call at a time per device
    with proxies_lock:
        return proxies.setdefault(key, entry)


configs = {}  # (proxy id, attribute) -> AttributeInfoEx, to know the type of written values


def config(p, attr):
    key = (id(p), attr.lower())
    if key not in configs:
        configs[key] = p.get_attribute_config(attr)
    return configs[key]


def plain(v):
    """numpy / Tango values -> JSON-friendly Python values (NaN and infinities become null)."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if type(v).__name__ == "DevState":  # isinstance(v, tango.DevState) is False in PyTango 9.3
        return str(v)
    if isinstance(v, bytes):
        return v.decode("latin-1")
    return v


def value_json(a):
    if a.has_failed:
        err = a.get_err_stack()
        return {"name": a.name, "errors": [error_json(e) for e in err], "quality": "FAILURE",
                "timestamp": int(time.time() * 1000)}
    value = a.value if a.value is not None or a.w_value is None else a.w_value
    return {"name": a.name, "value": plain(value), "quality": a.quality.name,
            "timestamp": int(a.time.totime() * 1000)}


def convert(text, info):
    """Turns the ?v= text into the Python type the attribute wants."""
    def one(x):
        t = info.data_type
        if utils.is_str_type(t):
            return x if isinstance(x, str) else json.dumps(x)
        if isinstance(x, str):
            x = x.strip()
        if utils.is_bool_type(t):
            return x if isinstance(x, bool) else str(x).lower() in ("1", "true", "yes", "on")
        if utils.is_int_type(t) or t == tango.CmdArgType.DevEnum:
            return int(float(x)) if isinstance(x, str) and "." in x else int(x)
        if utils.is_float_type(t):
            return float(x)
        raise ValueError("writing %s attributes is not supported" % t)

    if info.data_format == tango.AttrDataFormat.SCALAR:
        return one(text)
    items = json.loads(text) if text.lstrip().startswith("[") else text.split(",")
    if info.data_format == tango.AttrDataFormat.IMAGE:
        return [[one(x) for x in row] for row in items]
    return [one(x) for x in items]


def info_json(i):
    names = ("name", "label", "description", "unit", "standard_unit", "display_unit", "format",
             "min_value", "max_value", "min_alarm", "max_alarm", "writable_attr_name",
             "max_dim_x", "max_dim_y")
    out = {n: getattr(i, n) for n in names}
    out.update(writable=i.writable.name, data_format=i.data_format.name,
               data_type=str(tango.CmdArgType.values[int(i.data_type)]),  # an int in PyTango 9.3
               level=i.disp_level.name, enum_label=list(getattr(i, "enum_labels", [])))
    return out


def handle(method, host, port, device, rest, query, body):
    p, lock = proxy(host, port, device)
    parts = [unquote(x) for x in rest.strip("/").split("/")] if rest else []
    with lock:
        if method == "GET" and parts == ["state"]:
            return {"state": str(p.state()), "status": p.status()}
        if method == "GET" and parts == ["status"]:
            return {"status": p.status()}
        if method == "GET" and parts == ["attributes", "value"]:
            names = query.get("attr", [])
            if not names:
                raise HttpError(400, "BadRequest", "give one or more ?attr=name")
            return [value_json(a) for a in p.read_attributes(names)]
        if len(parts) == 3 and parts[0] == "attributes" and parts[2] == "value":
            if method == "PUT":
                if "v" not in query:
                    raise HttpError(400, "BadRequest", "missing ?v=value")
                try:
                    value = convert(query["v"][0], config(p, parts[1]))
                except (ValueError, TypeError) as e:
                    raise HttpError(400, "BadValue", "cannot write %r to %s: %s"
                                    % (query["v"][0], parts[1], e))
                p.write_attribute(parts[1], value)
            return value_json(p.read_attribute(parts[1]))
        if method == "GET" and len(parts) == 3 and parts[0] == "attributes" and parts[2] == "info":
            return info_json(p.get_attribute_config(parts[1]))
        if method == "PUT" and len(parts) == 2 and parts[0] == "commands":
            arg = body.get("input") if isinstance(body, dict) else None
            out = p.command_inout(parts[1]) if arg is None else p.command_inout(parts[1], arg)
            return {"name": parts[1], "output": plain(out)}
    raise HttpError(404, "NotFound", "no route %s %s" % (method, rest or "/"))


# --- HTTP side ----------------------------------------------------------------------------

def error_json(e):
    return {"reason": e.reason, "description": e.desc, "severity": str(e.severity),
            "origin": e.origin}


def http_status(df):
    reasons = " ".join(e.reason + " " + e.desc for e in df.args)
    if re.search(r"NotFound|OBJECT_NOT_EXIST|API_DeviceNotDefined|not found", reasons):
        return 404
    if re.search(r"TRANSIENT|TIMEOUT|TimedOut|COMM_FAILURE|DeviceNotExported|connect", reasons,
                 re.I):
        return 503
    return 500


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every reply carries a Content-Length
    disable_nagle_algorithm = True  # else headers + body writes cost a 40 ms delayed ACK

    def log_message(self, fmt, *args):
        if ARGS.verbose:
            sys.stderr.write("gateway: " + fmt % args + "\n")

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="tango"')
        self.end_headers()
        self.wfile.write(data)

    def fail(self, status, errors):
        self.reply(status, {"errors": errors, "quality": "FAILURE",
                            "timestamp": int(time.time() * 1000)})

    def serve(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        device = None
        try:
            if ARGS.user is not None:
                want = "Basic " + base64.b64encode(
                    ("%s:%s" % (ARGS.user, ARGS.password or "")).encode()).decode()
                if not hmac.compare_digest(self.headers.get("Authorization", ""), want):
                    raise HttpError(401, "Unauthorized", "bad or missing credentials")
            url = urlsplit(self.path)
            m = ROUTE.match(url.path[len(PREFIX):]) if url.path.startswith(PREFIX) else None
            if not m:
                raise HttpError(404, "NotFound", "no route %s" % url.path)
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                raise HttpError(400, "BadRequest", "request body is not JSON")
            device = unquote(m.group(3))
            result = handle(method, m.group(1), int(m.group(2)), device,
                            m.group(4), parse_qs(url.query, keep_blank_values=True), body)
            self.reply(200, result)
        except HttpError as e:
            self.fail(e.status, [{"reason": e.reason, "description": e.description,
                                  "severity": "ERR", "origin": "tango-rest-gateway"}])
        except tango.DevFailed as e:
            self.fail(http_status(e), [error_json(x) for x in e.args])
        except Exception as e:  # e.g. TypeError from PyTango argument conversion
            self.fail(400 if isinstance(e, (TypeError, ValueError)) else 500,
                      # named, since a device dying mid-call can surface here rather than as DevFailed
                      [{"reason": type(e).__name__, "severity": "ERR",
                        "description": "%s: %s" % (device, e) if device else str(e),
                        "origin": "tango-rest-gateway"}])

    def do_GET(self):
        self.serve("GET")

    def do_PUT(self):
        self.serve("PUT")

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self.close_connection = True


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on")
    ap.add_argument("--port", type=int, default=8080, help="port to listen on (0: any free)")
    ap.add_argument("--device-port", type=int, default=10000,
                    help="ORB port of database-less device servers (default 10000)")
    ap.add_argument("--timeout-ms", type=int, default=2000, help="Tango proxy timeout")
    ap.add_argument("--user", help="require HTTP basic auth with this user")
    ap.add_argument("--password", help="password for --user")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    ARGS = ap.parse_args()
    server = ThreadingHTTPServer((ARGS.host, ARGS.port), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print("listening on http://%s:%d%s" % (host, port, PREFIX), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


ARGS = None
if __name__ == "__main__":
    main()
