"""Watching roombot run: structured logs with the event's fields (`logs`), Prometheus metrics across
the process group (`metrics`), and the /readyz and /metrics endpoints (`probes`)."""
