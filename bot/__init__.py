"""roombot: a Feishu bot that answers questions about meeting-room bookings."""

__version__ = "0.2.0"
