"""Local HTTP servers on 127.0.0.1 that stand in for a translation service and an OpenAI-compatible endpoint,
with scripted misbehaviour (429, 5xx, answers slower than the client's timeout, 401/403, garbage, a server that
echoes the request's Authorization header or API key back)."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Script:
    """What the n-th request (1-based) gets: "429", "500", "slow" (sleep past the client's timeout), "401"/"403"
    (with the request's Authorization header and api_key echoed in the body), "garbage" (200, not JSON),
    "echo" (200, a chat completion whose content is the Authorization header) or normal; `default` for the rest."""

    def __init__(self, plan: dict[int, str] | None = None, slow_seconds: float = 1.0, default: str = "ok"):
        self.plan = plan or {}
        self.default = default
        self.slow_seconds = slow_seconds
        self.lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.seen: list[dict] = []

    def next(self) -> str:
        with self.lock:
            self.requests += 1
            return self.plan.get(self.requests, self.default)


def _handler(script: Script, answer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def handle(self):
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):  # the client gave up on a slow answer
                pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with script.lock:
                script.in_flight += 1
                script.max_in_flight = max(script.max_in_flight, script.in_flight)
            try:
                what = script.next()
                if what == "slow":
                    time.sleep(script.slow_seconds)
                if what in ("429", "500"):
                    self._send(int(what), {"error": "busy"}, {"Retry-After": "0"} if what == "429" else {})
                    return
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                echoed = f"{self.headers.get('Authorization')} api_key={query.get('api_key')}"
                if what in ("401", "403"):
                    self._send(int(what), {"error": {"message": f"bad key, you sent {echoed}"}})
                    return
                if what == "garbage":
                    self._raw(200, b"<html>" + echoed.encode() + b"</html>")
                    return
                if what == "echo":
                    self._send(200, {"choices": [{"message": {"role": "assistant", "content": echoed}}]})
                    return
                request = json.loads(body) if body.startswith(b"{") else {}
                with script.lock:
                    script.seen.append({"path": urlparse(self.path).path, "query": query, "json": request})
                self._send(200, answer(urlparse(self.path).path, query, request))
            finally:
                with script.lock:
                    script.in_flight -= 1

        def _send(self, status, obj, headers=None):
            self._raw(status, json.dumps(obj, ensure_ascii=False).encode(), headers)

        def _raw(self, status, data, headers=None):
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def serve(script: Script, answer):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script, answer))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def libre_answer(path, query, request):
    """LibreTranslate's /translate: tr->en tags the text; en->tr untags it and reverses the word order, so the
    round trip gives a different (still Turkish) text."""
    text = query["q"]
    if query["target"] == "en":
        return {"translatedText": "EN " + text}
    words = text.removeprefix("EN ").split(" ")
    return {"translatedText": " ".join(reversed(words))}


def chat_answer(path, query, request):
    """An OpenAI chat completion whose 'paraphrase' moves the first sentence to the end."""
    text = request["messages"][-1]["content"]
    time.sleep(0.02)  # long enough for requests to overlap, so the concurrency limit is exercised
    parts = text.split(". ", 1)
    new = f"{parts[1].rstrip('.')}. {parts[0].rstrip('.')}." if len(parts) == 2 else f"Kısaca: {text}"
    return {"choices": [{"message": {"role": "assistant", "content": new}}], "seed": request.get("seed")}
