"""A tiny HTTP receiver standing in for the hub's webhook endpoint in tests."""
import http.server
import threading


class Receiver:
    """Records every POST (path, headers, body) and answers with the next queued status
    (200 once the queue is empty)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        self.received = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.received:
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.notify_all()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "accepted"}' if status < 300 else b'{"error": "x"}')

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        with self.received:
            self.received.wait_for(lambda: len(self.requests) >= count, timeout)
        return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
