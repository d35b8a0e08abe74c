"""Voice and sound: the narration spoken, the score composed, the captions timed, and the one
step that lays them over the stitched film (`film.finish`)."""
