"""OpenTelemetry through the proxy (`otel:`), against the official OpenTelemetry Python parts:

- a collector stand-in that decodes every OTLP/HTTP export with `opentelemetry-proto`'s own
  `ExportTraceServiceRequest` (and checks the export's header from `otel.headers`);
- an upstream instrumented with the OpenTelemetry Python SDK, which extracts the `traceparent`
  the proxy sends and exports its own server span to the same collector.

A client's trace is continued (the proxy's server span is the child of the client's span, its
client span the child of that, and the upstream's span the child of the proxy's client span), a
request without a traceparent starts a trace of its own, and a client that did not sample its
trace gets no spans but still passes its decision on."""
import json, os, subprocess, sys, tempfile, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import BINARY, free_port, wait_port  # noqa: E402

SPANS, AUTHORIZATIONS, UPSTREAM_PARENTS = [], [], []
LOCK = threading.Lock()


class Collector(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        with LOCK:
            AUTHORIZATIONS.append((self.headers.get("content-type"), self.headers.get("authorization")))
            for resource_spans in request.resource_spans:
                service = {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}.get("service.name")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        SPANS.append((service, span))
        out = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def upstream_handler(tracer):
    class Upstream(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            with LOCK:
                UPSTREAM_PARENTS.append(self.headers.get("traceparent"))
            context = propagate.extract(dict(self.headers.items()))
            with tracer.start_as_current_span("upstream " + body["method"], context=context, kind=trace.SpanKind.SERVER):
                out = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": {"content": [], "isError": False}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        def log_message(self, *args):
            pass
    return Upstream


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def call(port, traceparent=None, tool="echo", id=7):
    body = json.dumps({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": {}}}).encode()
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if traceparent:
        headers["traceparent"] = traceparent
    request = urllib.request.Request(f"http://127.0.0.1:{port}/mcp", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, response.status
        return json.loads(response.read())


def spans_of(service, trace_id):
    with LOCK:
        return [span for name, span in SPANS if name == service and span.trace_id.hex() == trace_id]


def wait_for(predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def attributes(span):
    out = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = value.string_value if value.HasField("string_value") else value.int_value
    return out


def main():
    collector = serve(Collector)
    collector_url = f"http://127.0.0.1:{collector.server_address[1]}/v1/traces"
    provider = TracerProvider(resource=Resource.create({"service.name": "upstream"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=collector_url)))
    upstream = serve(upstream_handler(provider.get_tracer("upstream")))

    port = free_port()
    workdir = tempfile.mkdtemp()
    config = os.path.join(workdir, "proxy.yaml")
    with open(config, "w") as f:
        f.write(f"""otel:
  endpoint: {collector_url}
  headers: {{authorization: {{env: OTEL_AUTH}}}}
  sampling_ratio: 1.0
profiles:
  traced:
    upstream_url: http://127.0.0.1:{upstream.server_address[1]}/mcp
    auth_scheme: none
    listen_port: {port}
""")
    log = open(os.path.join(workdir, "proxy.log"), "w+")
    env = dict(os.environ, OTEL_AUTH="Bearer collector-token-123")
    proxy = subprocess.Popen([BINARY, "--config", config], stderr=log, env=env)
    failures = []

    def check(name, condition, detail=""):
        print(("ok    " if condition else "FAIL  ") + name + ("" if condition else f": {detail}"))
        if not condition:
            failures.append(name)

    try:
        wait_port(port)
        client_trace, client_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        call(port, f"00-{client_trace}-{client_span}-01")
        check("the proxy's two spans and the upstream's arrive at the collector, decoded by opentelemetry-proto",
              wait_for(lambda: len(spans_of("mcp-auth-proxy", client_trace)) == 2 and len(spans_of("upstream", client_trace)) == 1),
              f"{SPANS}")
        proxy_spans = spans_of("mcp-auth-proxy", client_trace)
        server = next((s for s in proxy_spans if s.kind == 2), None)
        client = next((s for s in proxy_spans if s.kind == 3), None)
        upstream_span = (spans_of("upstream", client_trace) or [None])[0]
        check("the proxy's server span continues the client's trace as a child of the client's span",
              server is not None and server.parent_span_id.hex() == client_span, f"{server}")
        check("its client span is the server span's child",
              client is not None and server is not None and client.parent_span_id == server.span_id, f"{client}")
        check("the upstream's server span (OpenTelemetry Python SDK) is a child of the proxy's client span",
              upstream_span is not None and client is not None and upstream_span.parent_span_id == client.span_id, f"{upstream_span}")
        attrs = attributes(server) if server else {}
        check("the server span is named and attributed after the MCP semantic conventions",
              server is not None and server.name == "tools/call echo" and attrs.get("mcp.method.name") == "tools/call"
              and attrs.get("gen_ai.tool.name") == "echo" and attrs.get("jsonrpc.request.id") == "7"
              and attrs.get("http.response.status_code") == 200, f"{server.name if server else None} {attrs}")
        client_attrs = attributes(client) if client else {}
        check("the client span names the upstream request",
              client_attrs.get("http.response.status_code") == 200 and client_attrs.get("url.full", "").endswith("/mcp")
              and client is not None and client.start_time_unix_nano >= server.start_time_unix_nano
              and client.end_time_unix_nano <= server.end_time_unix_nano + 1, f"{client_attrs}")
        check("exports carry the configured header, as protobuf",
              ("application/x-protobuf", "Bearer collector-token-123") in AUTHORIZATIONS, f"{AUTHORIZATIONS}")

        call(port, None, id=8)
        new_trace = wait_for(lambda: any(
            span.kind == 2 and not span.parent_span_id and attributes(span).get("jsonrpc.request.id") == "8"
            for name, span in SPANS if name == "mcp-auth-proxy"))
        check("a request without a traceparent starts a trace of its own (a root server span)", new_trace, f"{SPANS}")

        unsampled_trace = "0af7651916cd43dd8448eb211c80319c"
        call(port, f"00-{unsampled_trace}-b7ad6b7169203331-00", id=9)
        time.sleep(2.5)
        with LOCK:
            passed_on = [p for p in UPSTREAM_PARENTS if p and unsampled_trace in p]
        check("a trace the client did not sample gets no spans, and the upstream still gets the decision (-00)",
              not spans_of("mcp-auth-proxy", unsampled_trace) and not spans_of("upstream", unsampled_trace)
              and len(passed_on) == 1 and passed_on[0].endswith("-00") and "b7ad6b7169203331" not in passed_on[0],
              f"{passed_on}")
        # The stdio bridge: trace context in params._meta, as MCP clients put it on stdio.
        bridge_trace, bridge_parent = "11112222333344445555666677778888", "aaaabbbbccccdddd"
        bridge = subprocess.Popen([BINARY, "stdio", "--config", config], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=log, env=env)
        message = {"jsonrpc": "2.0", "id": 21, "method": "tools/call",
                   "params": {"name": "echo", "arguments": {}, "_meta": {"traceparent": f"00-{bridge_trace}-{bridge_parent}-01"}}}
        bridge.stdin.write((json.dumps(message) + "\n").encode())
        bridge.stdin.flush()
        answer = json.loads(bridge.stdout.readline())
        bridge.stdin.close()
        bridge.wait(timeout=20)
        check("the bridge answers the call", answer.get("id") == 21 and "result" in answer, f"{answer}")
        wait_for(lambda: len(spans_of("mcp-auth-proxy", bridge_trace)) == 2 and len(spans_of("upstream", bridge_trace)) == 1)
        bridge_spans = spans_of("mcp-auth-proxy", bridge_trace)
        b_server = next((s for s in bridge_spans if s.kind == 2), None)
        b_client = next((s for s in bridge_spans if s.kind == 3), None)
        b_upstream = (spans_of("upstream", bridge_trace) or [None])[0]
        check("the bridge continues the trace of params._meta.traceparent; the upstream's span is its client span's child",
              b_server is not None and b_client is not None and b_upstream is not None
              and b_server.parent_span_id.hex() == bridge_parent and b_client.parent_span_id == b_server.span_id
              and b_upstream.parent_span_id == b_client.span_id and b_server.name == "tools/call echo",
              f"{bridge_spans} {b_upstream}")
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        log.seek(0)
        text = log.read()
        if failures:
            print("----- proxy log -----\n" + text[-4000:])
        check("no secret of the export in the proxy's log", "collector-token-123" not in text)
    print(f"{'passed' if not failures else 'FAILED'}: OpenTelemetry interop ({len(failures)} failures)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
