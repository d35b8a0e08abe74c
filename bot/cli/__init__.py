"""The terminal front end: `generate` with live progress, and `history`."""
