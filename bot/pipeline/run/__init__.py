"""The run and its steps: admitted, leased, told top to bottom, moved only by the transitions
table."""
