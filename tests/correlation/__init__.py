"""The correlation set: realistic inbound messages with the send and strategy each must match."""
