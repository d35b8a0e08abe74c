"""Settings: every variable of the contract, from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_OPENAI_MODEL, DEFAULT_VIDEO_MODEL, SettingsError, load_settings
from bot.pipeline.clips.video_models import MODELS
from bot.services import make_openai_client

# Every variable of the contract (and the extras), a value and what it must read as.
CONTRACT = {
    "DISCORD_TOKEN": ("discord-secret-token", "discord_token", None),
    "DISCORD_GUILD_ID": ("123456789012345678", "discord_guild_id", 123456789012345678),
    "DISCORD_API_BASE_URL": ("http://127.0.0.1:9/api/v10", "discord_api_base_url", None),
    "DISCORD_GATEWAY_URL": ("ws://127.0.0.1:9/", "discord_gateway_url", None),
    "OPENAI_API_KEY": ("sk-openai-secret", "openai_api_key", None),
    "OPENAI_BASE_URL": ("http://127.0.0.1:9/v1", "openai_base_url", None),
    "OPENAI_MODEL": ("gpt-test", "openai_model", None),
    "REPLICATE_API_TOKEN": ("r8_replicate-secret", "replicate_api_token", None),
    "REPLICATE_BASE_URL": ("http://127.0.0.1:9", "replicate_base_url", None),
    "VIDEO_MODEL": ("google/veo-3-fast", "video_model", None),
    "ENABLE_VIDEO_GENERATION": ("false", "enable_video_generation", False),
    "MAX_CLIPS": ("6", "max_clips", 6),
    "CLIP_CONCURRENCY": ("3", "clip_concurrency", 3),
    "USER_CONCURRENCY": ("2", "user_concurrency", 2),
    "DATABASE_PATH": ("db/x.sqlite3", "database_path", Path("db/x.sqlite3")),
    "DATABASE_URL": ("postgresql://reel:pg-secret@db.internal:5432/reel", "database_url", None),
    "MEDIA_DIR": ("media/here", "media_dir", Path("media/here")),
    "MEDIA_ALLOWED_HOSTS": (
        "replicate.delivery, Example.COM,,cdn.test ",
        "media_allowed_hosts",
        ("replicate.delivery", "example.com", "cdn.test"),
    ),
    "START_IMAGE_HOSTS": (
        "cdn.discordapp.com, Media.Discordapp.NET",
        "start_image_hosts",
        ("cdn.discordapp.com", "media.discordapp.net"),
    ),
    "LOG_LEVEL": ("debug", "log_level", "DEBUG"),
    "CLIP_TIMEOUT_SECONDS": ("30.5", "clip_timeout_seconds", 30.5),
    "REPLICATE_POLL_SECONDS": ("0.25", "replicate_poll_seconds", 0.25),
    "DAILY_GENERATION_LIMIT": ("5", "daily_generation_limit", 5),
    "ALLOWED_GUILD_IDS": ("1, 2,3", "allowed_guild_ids", frozenset({1, 2, 3})),
}
SECRETS = ("DISCORD_TOKEN", "OPENAI_API_KEY", "REPLICATE_API_TOKEN")


def _value(settings, field: str):
    value = getattr(settings, field)
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def _check_all(settings) -> None:
    for name, (raw, field, expected) in CONTRACT.items():
        assert _value(settings, field) == (raw if expected is None else expected), name


def test_defaults() -> None:
    settings = load_settings()

    assert settings.discord_token is None and settings.openai_api_key is None
    assert settings.replicate_api_token is None and settings.discord_guild_id is None
    assert settings.discord_api_base_url == "https://discord.com/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg/"
    assert settings.openai_base_url is None and settings.replicate_base_url is None
    assert settings.openai_model == DEFAULT_OPENAI_MODEL
    assert settings.video_model == DEFAULT_VIDEO_MODEL and DEFAULT_VIDEO_MODEL in MODELS
    assert settings.enable_video_generation is True
    assert (settings.max_clips, settings.clip_concurrency, settings.user_concurrency) == (4, 8, 1)
    assert settings.database_path == Path("data/reelbot.sqlite3")
    assert settings.database_url is None  # SQLite
    assert settings.media_dir == Path("data/media")
    assert settings.media_allowed_hosts == ("replicate.delivery",)
    assert settings.start_image_hosts == ("cdn.discordapp.com", "media.discordapp.net")
    assert settings.log_level == "INFO"
    assert settings.missing_generation_keys() == ["OPENAI_API_KEY", "REPLICATE_API_TOKEN"]


def test_every_variable_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, (raw, _, _) in CONTRACT.items():
        monkeypatch.setenv(name, raw)

    _check_all(load_settings())


def test_every_variable_is_read_from_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# comment\n" + "".join(f"{name}={raw}\n" for name, (raw, _, _) in CONTRACT.items()),
        encoding="utf-8",
    )

    _check_all(load_settings())


def test_the_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("MAX_CLIPS=2\nOPENAI_MODEL=from-file\n", encoding="utf-8")
    monkeypatch.setenv("MAX_CLIPS", "5")

    settings = load_settings()

    assert (settings.max_clips, settings.openai_model) == (5, "from-file")


def test_an_empty_value_counts_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        "OPENAI_API_KEY=\nDISCORD_GUILD_ID=\nMAX_CLIPS=3\nVIDEO_MODEL=\n", encoding="utf-8"
    )
    for name in ("REPLICATE_API_TOKEN", "OPENAI_BASE_URL", "MAX_CLIPS", "MEDIA_ALLOWED_HOSTS"):
        monkeypatch.setenv(name, "")

    settings = load_settings()

    assert settings.openai_api_key is None and settings.replicate_api_token is None
    assert settings.discord_guild_id is None and settings.openai_base_url is None
    assert settings.video_model == DEFAULT_VIDEO_MODEL
    assert settings.max_clips == 3  # the empty variable does not hide the file's value
    assert settings.media_allowed_hosts == ("replicate.delivery",)
    assert settings.missing_generation_keys() == ["OPENAI_API_KEY", "REPLICATE_API_TOKEN"]


def test_an_empty_base_url_means_the_providers_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # docker compose's env_file exports `OPENAI_BASE_URL=` from a copied .env.example
    monkeypatch.setenv("OPENAI_BASE_URL", "")
    settings = load_settings(openai_api_key="sk-x")

    assert str(make_openai_client(settings).base_url) == "https://api.openai.com/v1/"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("MAX_CLIPS", "many"),
        ("MAX_CLIPS", "0"),
        ("CLIP_CONCURRENCY", "-1"),
        ("USER_CONCURRENCY", "1.5"),
        ("DISCORD_GUILD_ID", "my-guild"),
        ("ENABLE_VIDEO_GENERATION", "perhaps"),
        ("VIDEO_MODEL", "acme/unknown"),
        ("LOG_LEVEL", "LOUD"),
        ("ALLOWED_GUILD_IDS", "1,two"),
        ("CLIP_TIMEOUT_SECONDS", "0"),
        ("DATABASE_URL", "mysql://db.internal/reel"),
    ],
)
def test_a_bad_value_is_named(monkeypatch: pytest.MonkeyPatch, name: str, raw: str) -> None:
    monkeypatch.setenv(name, raw)

    with pytest.raises(SettingsError) as caught:
        load_settings()

    message = str(caught.value)
    assert f"  {name}: " in message
    assert ".env.example" in message


def test_every_bad_value_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_CLIPS", "many")
    monkeypatch.setenv("LOG_LEVEL", "LOUD")

    with pytest.raises(SettingsError) as caught:
        load_settings()

    assert "MAX_CLIPS" in str(caught.value) and "LOG_LEVEL" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_secrets_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRETS:
        monkeypatch.setenv(name, CONTRACT[name][0])

    settings = load_settings()

    for text in (repr(settings), str(settings), str(settings.model_dump())):
        for name in SECRETS:
            assert CONTRACT[name][0] not in text
    assert sorted(settings.secrets()) == sorted(CONTRACT[name][0] for name in SECRETS)
    assert settings.missing_generation_keys() == []


def test_an_invalid_setting_does_not_echo_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("MAX_CLIPS", "sk-very-secret")

    with pytest.raises(SettingsError) as caught:
        load_settings()

    assert "sk-very-secret" not in str(caught.value)


def test_replicate_is_not_needed_when_video_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("ENABLE_VIDEO_GENERATION", "false")

    assert load_settings().missing_generation_keys() == []


def test_the_database_password_is_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", CONTRACT["DATABASE_URL"][0])

    settings = load_settings()

    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert "pg-secret" not in text
    assert "pg-secret" in settings.secrets()  # the log redactor hides it on its own too
