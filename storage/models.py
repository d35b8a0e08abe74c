"""Typed rows: what the repository returns. Statuses are stored on every change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class GenerationStatus(StrEnum):
    QUEUED = "queued"
    ANALYSING = "analysing"
    RENDERING = "rendering"
    STITCHING = "stitching"
    DELIVERING = "delivering"
    REROLLING = "rerolling"  # a done film's scene is being made again (a `Version` says which)
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {GenerationStatus.DONE, GenerationStatus.FAILED, GenerationStatus.CANCELLED}
)


class ClipStatus(StrEnum):
    PENDING = "pending"
    CREATING = "creating"  # a create request may be in flight: reconcile before creating again
    RUNNING = "running"  # the prediction exists (its id is stored)
    SUCCEEDED = "succeeded"  # downloaded to output_path
    FAILED = "failed"
    CANCELLED = "cancelled"


class CreateRefused(StrEnum):
    """Why the database refused a prediction create (`ClipRows.clip_create_admitted`)."""

    ENDED = "ended"  # the generation is not being made any more (cancelled, ended elsewhere)
    BUDGET = "budget"  # the member who started the run is at their daily seconds limit
    LEASE = "lease"  # this process no longer holds the generation's lease at its epoch
    TAKEN = "taken"  # the clip moved on meanwhile (another process made its prediction)


class Continuity(StrEnum):
    """How the scenes follow each other (stored with the generation)."""

    PARALLEL = "parallel"  # every scene rendered at once
    CHAINED = "chained"  # scene N+1 starts from the last frame of scene N: one after another


class Captions(StrEnum):
    """How the narration's lines are shown as words (stored with the generation; issue 22)."""

    OFF = "off"
    BURNED = "burned"  # drawn into the picture (Discord's player ignores subtitle tracks)
    TRACK = "track"  # a mov_text subtitle stream in the mp4, language tagged


@dataclass(frozen=True, slots=True)
class NewGeneration:
    owner_id: int
    prompt: str
    source: str = "discord"
    clips_requested: int | None = None
    aspect_ratio: str = "16:9"
    seed: int | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    narration: bool = False  # a voice-over (in `voice`) is written, spoken and mixed in
    voice: str | None = None
    continuity: Continuity = Continuity.PARALLEL
    captions: Captions = Captions.OFF
    music: bool = False  # a score rendered by the music model, mixed under everything
    cast: bool = False  # issue 24: a portrait per named character, passed to the video model
    cast_name: str | None = None  # the character a member's own picture shows (None: the first)


@dataclass(frozen=True, slots=True)
class Generation:
    id: int
    owner_id: int
    source: str
    prompt: str
    clips_requested: int | None
    aspect_ratio: str
    seed: int | None
    status: GenerationStatus
    error: str | None
    title: str | None
    shot_list: str | None
    guild_id: int | None
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    video_path: str | None
    delivered_at: float | None
    delivery_ref: str | None
    predict_seconds: float
    created_at: float
    updated_at: float
    finished_at: float | None
    start_image_path: str | None = None  # the member's image: the first frame of scene 1
    continuity: Continuity = Continuity.PARALLEL
    captions: Captions = Captions.OFF


@dataclass(frozen=True, slots=True)
class Clip:
    id: int
    generation_id: int
    index: int
    prompt: str
    duration: int
    status: ClipStatus
    prediction_id: str | None
    output_path: str | None
    thumbnail_path: str | None
    attempts: int
    error: str | None
    predict_seconds: float
    create_started_at: float | None
    updated_at: float
    version: int = 1  # the film version that made this take (a reroll makes a new one)
    seed: int | None = None  # the take's own seed (a reroll's); else the generation's + index
    start_image_url: str | None = None  # where its start image was uploaded (Replicate files)
    reference_urls: str | None = None  # issue 24: JSON [[name, url], ...] of its portraits' uploads
    chained: int = 0  # issue 24: starts from the last frame of the scene before (Extend's first)


@dataclass(frozen=True, slots=True)
class Usage:
    """What a member has used since a moment: runs admitted (a /generate, a terminal generate,
    a Retry; not those refunded) and seconds of video asked of Replicate."""

    runs: int
    seconds: float


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    status: GenerationStatus
    prompt: str
    title: str | None
    clips_done: int
    clips_total: int
    created_at: float
    guild_id: int | None
    channel_id: int | None
    message_id: int | None
    error: str | None


class NarrationStatus(StrEnum):
    WANTED = "wanted"  # asked for; not mixed into a film yet
    NARRATED = "narrated"  # the film carries the voice-over
    DROPPED = "dropped"  # the film was made without it (`reason` says why)


@dataclass(frozen=True, slots=True)
class Narration:
    generation_id: int
    voice: str
    status: NarrationStatus
    reason: str | None


@dataclass(frozen=True, slots=True)
class NarrationLine:
    """A spoken line: its audio file is complete on disk."""

    generation_id: int
    index: int
    text: str
    audio_path: str
    seconds: float


@dataclass(frozen=True, slots=True)
class PendingCancel:
    """A prediction to cancel again: its id, or (a lost create) the inputs to find it by."""

    id: int
    clip_id: int
    prediction_id: str | None
    inputs: str | None
    create_started_at: float | None
    reason: str
    created_at: float


class VersionStatus(StrEnum):
    """Where a reroll is: asked for, then its scene's prompt rewritten (with a note), its clip
    rendered, the new cut stitched and delivered; or ended."""

    QUEUED = "queued"
    REWRITING = "rewriting"
    RENDERING = "rendering"
    STITCHING = "stitching"
    DELIVERING = "delivering"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (VersionStatus.DONE, VersionStatus.FAILED, VersionStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a generation's film: v1 is the first film; each later one rendered
    `scene` again (a new seed; its prompt rewritten from `note` when given)."""

    id: int
    generation_id: int
    number: int
    scene: int | None
    note: str | None
    prompt: str | None
    seed: int | None
    status: VersionStatus
    error: str | None
    prediction_id: str | None
    clip_path: str | None
    film_path: str | None
    delivered_at: float | None
    delivery_ref: str | None
    created_at: float
    finished_at: float | None
    added: int = 0  # issue 24: an Extend's new scenes (`scene` is the first); 0 for a reroll
    recast: int | None = None  # issue 24: a Recast's cast member (`scene`: the first it shows)


@dataclass(frozen=True, slots=True)
class GalleryTake:
    """One version of a film in the web gallery: its file and when it was made."""

    version: int
    film_path: str
    made_at: float
    scene: int | None = None  # the scene a reroll rendered again (0-based); None for v1
    note: str | None = None  # what the member asked the reroll to change
    kind: str = "reroll"  # issue 24: "extend" (scenes added) or "recast" (a character again)


@dataclass(frozen=True, slots=True)
class GalleryFilm:
    """A member's film for the web gallery: its text, its versions oldest first, and whether
    MEDIA_RETENTION_DAYS removed its files."""

    generation_id: int
    owner_id: int
    title: str | None
    prompt: str
    created_at: float
    removed_at: float | None
    takes: tuple[GalleryTake, ...]
    cast: tuple[str, ...] = ()  # issue 24: the cast sheet's characters with a portrait

    def take(self, version: int) -> GalleryTake | None:
        return next((t for t in self.takes if t.version == version), None)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file uploaded to Replicate's files API (a clip's start image): its id, the URL a
    prediction's input names it by, and when Replicate removes it (epoch seconds)."""

    file_id: str
    url: str
    expires_at: float


class ScoreStatus(StrEnum):
    """Where a generation's score is (issue 22)."""

    WANTED = "wanted"  # asked for: being rendered, or to be
    READY = "ready"  # its track is downloaded (audio_path)
    DROPPED = "dropped"  # left out (reason): the film goes out without music


@dataclass(frozen=True, slots=True)
class Score:
    generation_id: int
    status: ScoreStatus
    direction: str | None
    prediction_id: str | None
    audio_path: str | None
    reason: str | None


class CastStatus(StrEnum):
    """A generation's cast sheet (issue 24)."""

    WANTED = "wanted"  # asked for; made once the shot list names characters
    READY = "ready"  # the portraits were made (some may have been left out: `CastMember`)
    NONE = "none"  # no portrait: no named character, or a video model without references


class MemberStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    DROPPED = "dropped"  # no portrait: the character stays words-only (`reason` says why)


@dataclass(frozen=True, slots=True)
class Cast:
    """The cast sheet of a generation: its status and a member's own picture of a character."""

    generation_id: int
    status: CastStatus
    image_path: str | None
    image_name: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class CastMember:
    """One named character of a film and their portrait (made by the image model, or the
    member's own picture: `source` "member")."""

    generation_id: int
    index: int
    name: str
    look: str
    status: MemberStatus
    source: str
    note: str | None
    prediction_id: str | None
    image_path: str | None
    reason: str | None
    take: int = 1
