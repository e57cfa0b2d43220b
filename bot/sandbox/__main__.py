"""`python -m bot.sandbox [--port N] [--seed N] [--rooms N]`."""
from __future__ import annotations

import argparse
import logging

from bot.sandbox.run import serve_forever


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve the sandbox in the foreground."""
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description="Run the fake Feishu Open API.")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rooms", type=int, default=60)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve_forever(args.port, args.seed, args.rooms)


if __name__ == "__main__":
    main()
