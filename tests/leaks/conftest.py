"""The leaks of issue 18 run on both engines, as the storage tests do (tests/storage)."""

from tests.storage.conftest import database, repo

__all__ = ["database", "repo"]
