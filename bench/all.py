"""Run every benchmark: `make bench`."""
from __future__ import annotations

from bench import booking, digest, reminders, webhook


def main() -> None:
    print("# roombot benchmarks\n\n# Webhook and answers")
    webhook.main([])
    print("\n# Daily and weekly digests, 2,000-room tenant")
    digest.main([])
    print("\n# Booking")
    booking.main([])
    print("\n# Keep-or-release reminders, 2,000-room tenant")
    reminders.main([])


if __name__ == "__main__":
    main()
