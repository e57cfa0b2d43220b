"""Booking a room as the app: the rules that say whether a room can be offered, the keys that make
every click book at most once, and the flow that carries a booking through Feishu's asynchronous
steps (flow.py), resumable from the bookings ledger after a crash."""
