"""Keep-or-release reminders: which bookings are due one (due.py, pure), and the scan that sends
them once across instances (scan.py)."""
