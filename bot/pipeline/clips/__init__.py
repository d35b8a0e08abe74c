"""Clips at Replicate: a fair slot, one prediction created once, followed, checked, cancelled."""
