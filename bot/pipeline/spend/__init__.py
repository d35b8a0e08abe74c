"""What a run may spend and what it cost: admission, the day's allowance, prices, usage."""
