"""The shot list: the prompt moderated, the analysis model's answer bounded, a scene rewritten."""
