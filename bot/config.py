"""Settings: every variable of the contract, read from the environment and `.env`."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# gpt-4.1-mini (the former default), gpt-4.1, gpt-4o and gpt-4o-mini shut down on 2027-01-14
# (openai/types/shared/chat_model.py; https://developers.openai.com/api/docs/deprecations, which
# names gpt-6-luna as their replacement). gpt-6-luna is OpenAI's efficient model for high-volume
# work, supports strict structured outputs on Chat Completions, and has no announced shutdown.
DEFAULT_OPENAI_MODEL = "gpt-6-luna"
DEFAULT_VIDEO_MODEL = "bytedance/seedance-1-lite"


class Settings(BaseSettings):
    """The process's configuration. The real environment wins over `.env`; empty counts as unset."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    discord_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = DEFAULT_OPENAI_MODEL

    replicate_api_token: SecretStr | None = None
    replicate_base_url: str | None = None
    video_model: str = DEFAULT_VIDEO_MODEL
    enable_video_generation: bool = True

    # narration (issues 12, 19): a voice-over spoken through OpenAI's Realtime API
    narration_default: bool = False  # narration when /generate or the terminal does not say
    narration_required: bool = False  # true: a failed voice-over fails the generation
    # bot.pipeline.sound.speakers: a Realtime model; a /v1/audio/speech model (tts-1, tts-1-hd,
    # gpt-4o-mini-tts) still speaks there until its shutdown on 2027-01-06
    tts_model: str = "gpt-realtime-2.1-mini"
    tts_voice: str = "coral"  # the voice when none is chosen
    # captions (issue 22, bot/pipeline/sound/captions.py): the narration's lines as words when
    # /generate or the terminal does not say: off, track (a subtitle stream), burned (drawn in)
    captions_default: Literal["off", "track", "burned"] = "off"
    # a score (issue 22, bot/pipeline/sound/music.py): google/lyria-2 renders the analysis's
    # musical direction while the clips render; mixed under everything at -16 LUFS
    music_default: bool = False  # music when /generate or the terminal does not say
    music_required: bool = False  # true: a failed score fails the generation
    # the cast sheet (issue 24, bot/pipeline/director/cast.py): a portrait per named character,
    # passed to the video model as reference images when it takes them; auto | off
    cast_default: Literal["auto", "off"] = "auto"

    max_clips: int = Field(default=4, ge=1, le=10)
    clip_concurrency: int = Field(default=8, ge=1, le=500)
    user_concurrency: int = Field(default=1, ge=1, le=20)
    clip_timeout_seconds: float = Field(default=900.0, gt=0)
    replicate_poll_seconds: float = Field(default=1.0, gt=0)
    reply_edit_seconds: float = Field(default=1.0, ge=0)
    daily_generation_limit: int = Field(default=0, ge=0)
    # seconds of video a member may ask for per UTC day; 0 = unlimited (warned at start). The
    # default, and why: bot/pipeline/spend/allowance.py
    daily_video_seconds_limit: float = Field(default=120.0, ge=0)
    # largest file the bot uploads; 0 = Discord's limit where it goes (the guild's boost tier,
    # 10 MiB in a DM). Lower it to keep uploads small; it never raises Discord's limit.
    max_upload_bytes: int = Field(default=0, ge=0)
    allowed_guild_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    database_path: Path = Path("data/reelbot.sqlite3")
    media_dir: Path = Path("data/media")
    media_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ("replicate.delivery",)
    media_retention_days: float = Field(default=30.0, ge=0)  # 0 = keep every file
    ffmpeg_concurrency: int | None = Field(default=None, ge=1, le=64)  # None: half the CPUs
    log_level: str = "INFO"
    # start images (issue 11 §2): hosts a /generate image may be fetched from (Discord's CDN)
    start_image_hosts: Annotated[tuple[str, ...], NoDecode] = (
        "cdn.discordapp.com",
        "media.discordapp.net",
    )

    # PostgreSQL instead of SQLite (several processes on one database): postgresql://user:pw@host/db
    database_url: SecretStr | None = None
    # gateway shards (issue 13): the total, and this process's ids ("0,1" or "0-3"); unset =
    # discord.py asks Discord (GET /gateway/bot) and runs every shard in this process
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    # several processes on one database (bot.pipeline.run.lease): a generation's lease lasts this
    # long unless renewed (every third of it); a process that stops is taken over after it
    lease_seconds: float = Field(default=30.0, ge=3, le=3600)
    # this process's name in the leases; a restarted process takes its own back at once.
    # Unset: the host name and the shards ("host:shards-0,1-of-2", "host:all")
    process_name: str | None = None
    # every wait between retries (bot.retry) is multiplied by this: 1 in production; tests and
    # load runs on loopback fakes make it small (0: try again at once)
    retry_wait_scale: float = Field(default=1.0, ge=0)

    # the web gallery (issue 23, bot/gallery): on when both PUBLIC_BASE_URL (where members
    # reach it, behind the operator's HTTPS reverse proxy) and GALLERY_SECRET (the HMAC key of
    # its links; a new one revokes every link) are set; off, nothing listens
    public_base_url: str | None = None
    gallery_secret: SecretStr | None = None
    gallery_host: str = "0.0.0.0"  # the address it listens on (the proxy's side)
    gallery_port: int = Field(default=8080, ge=1, le=65535)
    gallery_link_days: float = Field(default=7.0, gt=0, le=3650)  # how long a link opens

    # dollars per billed unit, overriding bot/pipeline/spend/prices.py: a JSON object, model ->
    # dollars
    # (video: per second; analysis: per 1M input tokens; speech: per minute)
    prices: dict[str, float] = Field(default_factory=dict)
    # /metrics (Prometheus) and /healthz on this port (bot/metrics); unset = nothing listens
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"  # 0.0.0.0 to be scraped from outside (a container)

    # the analysis (issue 19 item 4): seconds one shot-list request may take before it is
    # abandoned (and tried once more: a slow answer retried is paid again,
    # bot.pipeline.analysis.writer)
    analysis_timeout_seconds: float = Field(default=120.0, gt=0, le=600)
    # clips checked before they are public (issue 19 item 5): frames through OpenAI moderation
    clip_moderation: bool = True

    # configuration errors the start-up check of the providers found (bot.pipeline.checks.preflight)
    _provider_errors: list[str] = PrivateAttr(default_factory=list)
    # ... and those that stop only narration (TTS_MODEL shut down or unknown)
    _narration_errors: list[str] = PrivateAttr(default_factory=list)

    @field_validator("media_allowed_hosts", "start_image_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(h.strip().lower() for h in value.replace(";", ",").split(",") if h.strip())
        return value

    @field_validator("allowed_guild_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(int(v) for v in value.replace(";", ",").split(",") if v.strip())
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_shards(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        ids: list[int] = []
        for part in value.replace(";", ",").split(","):
            first, dash, last = part.strip().partition("-")
            if not first:
                continue
            if not (first.strip().isdigit() and (not dash or last.strip().isdigit())):
                raise ValueError(f"{part.strip()!r} is not a shard id or a range like 0-3")
            start = int(first)
            end = int(last) if dash else start
            if end < start:
                raise ValueError(f"{part.strip()!r}: a range goes from low to high")
            ids.extend(range(start, end + 1))
        return tuple(ids)

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
        if not self.shard_ids:
            raise ValueError("SHARD_IDS is empty")
        if len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError("SHARD_IDS names a shard twice")
        outside = [i for i in self.shard_ids if i >= self.shard_count]
        if outside:
            raise ValueError(
                f"SHARD_IDS {outside} not below SHARD_COUNT {self.shard_count} (ids start at 0)"
            )
        return self

    @field_validator("video_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        from bot.pipeline.clips.video_models import MODELS

        if value not in MODELS:
            raise ValueError(f"unknown model; choose one of {', '.join(sorted(MODELS))}")
        return value

    @field_validator("tts_voice")
    @classmethod
    def _known_voice(cls, value: str) -> str:
        from bot.pipeline.sound.speakers import KNOWN_VOICES, VOICES

        value = value.strip().lower()
        if value not in KNOWN_VOICES:  # fable, onyx, nova: the nearest Realtime voice speaks
            raise ValueError(f"unknown voice; choose one of {', '.join(VOICES)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("use a postgresql:// URL (unset = SQLite at DATABASE_PATH)")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("use the gallery's public address, e.g. https://films.example.org")
        return value.strip().rstrip("/")

    @field_validator("gallery_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("use at least 16 random characters (e.g. `openssl rand -hex 32`)")
        return value

    @property
    def gallery_on(self) -> bool:
        """Both PUBLIC_BASE_URL and GALLERY_SECRET are set."""
        return self.public_base_url is not None and self.gallery_secret is not None

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    def lease_owner(self) -> str:
        """This process's name in the leases (`PROCESS_NAME`, or the host and its shards)."""
        if self.process_name:
            return self.process_name
        if self.shard_count is None:
            shards = "all"
        else:
            ids = self.shard_ids if self.shard_ids is not None else range(self.shard_count)
            shards = f"shards-{','.join(map(str, ids))}-of-{self.shard_count}"
        return f"{socket.gethostname()}:{shards}"

    def secrets(self) -> list[str]:
        """The secret values in force, for the log redactor."""
        values = (
            self.discord_token,
            self.openai_api_key,
            self.replicate_api_token,
            self.gallery_secret,
        )
        found = [v.get_secret_value() for v in values if v is not None]
        if self.database_url is not None:
            password = urlsplit(self.database_url.get_secret_value()).password
            found += [self.database_url.get_secret_value(), *([password] if password else [])]
        return found

    def missing_generation_keys(self) -> list[str]:
        """Names of the provider keys `/generate` needs and does not have."""
        missing = [] if self.openai_api_key else ["OPENAI_API_KEY"]
        if self.enable_video_generation and not self.replicate_api_token:
            missing.append("REPLICATE_API_TOKEN")
        return missing

    def record_provider_errors(self, errors: list[str]) -> None:
        """Keep what the start-up check found wrong (a refused key, an unknown or shut-down
        model), for `generation_config_errors`."""
        self._provider_errors = [e.rstrip(".") for e in errors]

    def record_narration_errors(self, errors: list[str]) -> None:
        """Keep what the start-up check found wrong with the speech model, for
        `narration_config_errors`."""
        self._narration_errors = [e.rstrip(".") for e in errors]

    def narration_config_errors(self) -> list[str]:
        """Why narration cannot work (the speech model is shut down or unknown); empty when
        nothing is known to be wrong."""
        return list(self._narration_errors)

    def generation_config_errors(self) -> list[str]:
        """Why `/generate` cannot work, one sentence each: a missing key, then what the start-up
        check of the providers found. Empty when nothing is known to be wrong."""
        missing = [f"{name} is not set" for name in self.missing_generation_keys()]
        return missing + self._provider_errors


class SettingsError(Exception):
    """The settings are unusable; the message names each variable and how to fix it."""


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning pydantic's errors into one readable message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"  {name}: {error['msg']}")
        raise SettingsError(
            "Invalid configuration:\n" + "\n".join(lines) + "\nSee .env.example for every setting."
        ) from None
