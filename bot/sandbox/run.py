"""`roombot sandbox`: run the sandbox in the foreground and print the config snippet for it."""
from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

from bot.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)


def serve_forever(port: int = 8787, seed: int = 7, rooms: int = 60, out: TextIO = sys.stdout,
                  stop: threading.Event | None = None) -> None:
    """Start the sandbox on 127.0.0.1:port, print its [feishu] TOML snippet to `out`, serve until stopped.

    `stop` lets a caller (or a test) end it; otherwise Ctrl-C does.
    """
    sb = Sandbox.start(seed=seed, rooms=rooms, port=port)
    try:
        out.write(f"# Feishu sandbox on {sb.url}: {len(sb.tenant.rooms)} rooms, seed {seed}.\n"
                  "# Put this in your roombot config:\n")
        out.write(sb.config_toml())
        out.flush()
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        log.info("sandbox interrupted")
    finally:
        sb.stop()
