"""Run the Flask app under waitress, in the foreground (`roombot serve`) or in a thread (demo, tests)."""
from __future__ import annotations

import logging
import threading
from typing import Any

import waitress
from flask import Flask
from waitress import wasyncore

log = logging.getLogger(__name__)


class BackgroundServer:
    """The app served by waitress on a loopback port in a daemon thread."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> None:
        self._server: Any = waitress.create_server(app, host=host, port=port, threads=threads,
                                                   ident="roombot")
        self.port: int = self._server.effective_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.run, name="roombot-http", daemon=True)

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the sockets from inside waitress's own loop, so its select() never sees a dead fd."""
        if self._thread.is_alive():
            self._server.trigger.pull_trigger(self._close_in_loop)
            self._thread.join(timeout=5)
        else:
            self._close_in_loop()

    def _close_in_loop(self) -> None:
        self._server.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(self._server._map)


def serve_forever(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve until interrupted (waitress: a production WSGI server, not Flask's dev server)."""
    log.info("roombot listening on http://%s:%d/webhook/event", host, port)
    waitress.serve(app, host=host, port=port, threads=threads, ident="roombot")
