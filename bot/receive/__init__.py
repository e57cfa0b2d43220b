"""Where a message enters: verify, convert, record, acknowledge."""
