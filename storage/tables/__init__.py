"""The row classes `storage.repository.Repository` is made of: one per table or concern."""
