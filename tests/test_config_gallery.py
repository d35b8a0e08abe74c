"""The gallery's settings (issue 23): off unless PUBLIC_BASE_URL and GALLERY_SECRET are both
set; the address checked, the secret long enough and kept out of the logs."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings
from bot.gallery.server import gallery_links

SECRET = "0123456789abcdef0123"


def test_off_by_default_and_with_only_one_of_the_two(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.gallery_on is False and gallery_links(settings) is None
    assert (settings.gallery_port, settings.gallery_link_days) == (8080, 7.0)
    monkeypatch.setenv("GALLERY_SECRET", SECRET)
    assert load_settings().gallery_on is False
    monkeypatch.delenv("GALLERY_SECRET")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://films.example.org")
    assert load_settings().gallery_on is False


def test_on_with_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", " https://films.example.org/reel/ ")
    monkeypatch.setenv("GALLERY_SECRET", SECRET)
    monkeypatch.setenv("GALLERY_PORT", "9000")
    monkeypatch.setenv("GALLERY_LINK_DAYS", "2")
    settings = load_settings()
    assert settings.gallery_on and settings.public_base_url == "https://films.example.org/reel"
    assert (settings.gallery_port, settings.gallery_link_days) == (9000, 2.0)
    links = gallery_links(settings)
    assert links is not None and links.days == 2.0
    assert links.gallery_url(1).startswith("https://films.example.org/reel/g/")
    assert SECRET in settings.secrets()  # redacted from the logs
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PUBLIC_BASE_URL", "films.example.org", "PUBLIC_BASE_URL"),
        ("PUBLIC_BASE_URL", "ftp://films.example.org", "PUBLIC_BASE_URL"),
        ("GALLERY_SECRET", "short", "GALLERY_SECRET: Value error, use at least 16"),
        ("GALLERY_PORT", "0", "GALLERY_PORT"),
        ("GALLERY_LINK_DAYS", "0", "GALLERY_LINK_DAYS"),
    ],
)
def test_a_bad_value_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=says):
        load_settings()
