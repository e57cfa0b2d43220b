"""`roombot serve` as a real process for the benchmarks: config file, free port, readiness, stop.

    with serve(sandbox, workdir, bot={"workers": 32}) as served:
        pusher = sandbox.pusher(served.webhook_url)

It writes `roombot.toml` (the sandbox's [feishu], the given [bot] and [server] keys, a SQLite
store) and `serve.log` (the process's stdout and stderr) into `workdir`.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

from bot.sandbox import Sandbox

CONFIG_NAME = "roombot.toml"
LOG_NAME = "serve.log"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A running `roombot serve`, in its own process group."""

    process: subprocess.Popen
    url: str

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhook/event"

    def stop(self) -> None:
        """SIGTERM, then SIGKILL for the whole process group if it lingers."""
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            _kill_group(self.process)


def write_config(sandbox: Sandbox, workdir: Path, port: int, *, db: str = "bench.db",
                 bot: Mapping[str, object] | None = None,
                 server: Mapping[str, object] | None = None) -> Path:
    """`workdir/roombot.toml` for serve against the sandbox on 127.0.0.1:port."""
    config = workdir / CONFIG_NAME
    config.write_text(sandbox.config_toml()
                      + _section("bot", bot or {})
                      + _section("server", {"host": "127.0.0.1", "port": port, **(server or {})})
                      + _section("storage", {"url": f"sqlite:///{workdir / db}"}))
    return config


@contextlib.contextmanager
def serve(sandbox: Sandbox, workdir: Path, *, db: str = "bench.db",
          bot: Mapping[str, object] | None = None, server: Mapping[str, object] | None = None,
          ready: str = "/healthz", timeout: float = 120.0) -> Iterator[Served]:
    """Start `roombot serve` on a free port, wait until `ready` answers 200, stop it on exit."""
    port = free_port()
    config = write_config(sandbox, workdir, port, db=db, bot=bot, server=server)
    env = {**os.environ, "ROOMBOT_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # serve makes a fresh one of its own
    log_path = workdir / LOG_NAME
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--config", str(config)],
            env=env, stdout=log, stderr=log, start_new_session=True)
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        _wait_ready(served, ready, timeout, log_path)
        yield served
    finally:
        served.stop()


def _wait_ready(served: Served, path: str, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout  # importing lark_oapi alone takes ~5 s
    while time.monotonic() < deadline and served.process.poll() is None:
        try:
            if requests.get(f"{served.url}{path}", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    _kill_group(served.process)
    raise RuntimeError(f"roombot serve did not answer {path}:\n"
                       + log_path.read_text(errors="replace")[-2000:])


def _kill_group(process: subprocess.Popen) -> None:
    """kill -9 serve's process group: the web process and its worker processes."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def _section(name: str, values: Mapping[str, object]) -> str:
    lines = "".join(f"{key} = {_toml(value)}\n" for key, value in values.items())
    return f"\n[{name}]\n{lines}" if values else ""


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))  # a TOML basic string
