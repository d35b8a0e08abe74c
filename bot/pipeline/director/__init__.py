"""The director's tools: start images, chained scenes, characters, continuity, rerolls."""
