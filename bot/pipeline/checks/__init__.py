"""The start-up checks of the providers and the keys: what can be known without spending."""
