"""A tiny threaded HTTP server on 127.0.0.1 that hands every request to an app function."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["App", "Reply", "Request", "serve_app", "static_app"]


@dataclass
class Request:
    """What the app sees of one HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """What the app answers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


App = Callable[[Request], Reply]


def _handler(app: App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without NODELAY, Nagle's algorithm
            # and delayed ACKs add ~40 ms to every response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            try:
                reply = app(Request(self.command, parts.path, query, body, headers))
            except Exception as exc:
                reply = Reply(500, f"sandbox error: {exc!r}".encode(), "text/plain")
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_HEAD = _serve

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when many crawlers start at once, and
    # dropped SYNs cost whole seconds of TCP retransmission.
    request_queue_size = 256
    daemon_threads = True


@contextmanager
def serve_app(app: App, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` in a background thread; yields the base URL (no trailing slash)."""
    server = _Server((host, port), _handler(app))
    thread = threading.Thread(target=server.serve_forever, name="sandbox-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def static_app(files: Mapping[str, tuple[bytes, str]]) -> App:
    """An app serving fixed bodies by path; 404 for other paths and for later pages
    (a query asking for page > 1 or carrying a continuation token)."""

    def app(request: Request) -> Reply:
        q = request.query
        later = q.get("page", "1") not in ("", "1") or q.get("currentPage", "1") != "1"
        if later or q.get("next_token") or q.get("after"):
            return Reply(404, b"not found", "text/plain")
        found = files.get(request.path)
        if found is None:
            return Reply(404, b"not found", "text/plain")
        return Reply(200, found[0], found[1])

    return app
