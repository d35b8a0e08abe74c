"""The web gallery: each member's films at full quality, behind signed, expiring links."""
