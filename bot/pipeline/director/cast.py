"""The cast sheet (issue 24): one portrait per named character, made from the character's look
line by an image model on Replicate, kept on disk, posted in the thread before the clips, and
passed to every scene that shows the character under the video model's own reference input
(`bot.pipeline.clips.video_models.ReferenceImages`; the uploads: `bot.pipeline.clips.uploads`).

Portraits are made only when the generation asked for a cast (`cast:auto`, `CAST_DEFAULT`), its
shot list names characters AND the video model takes reference images: on any other model they
would be paid for and never used, so the looks stay words-only there, as before.

The image model is `black-forest-labs/flux-schnell` (its schema, https://internal.replicate.com/
black-forest-labs/flux-schnell: `prompt`, `aspect_ratio`, `num_outputs` 1-4, `output_format`
webp | jpg | png, `output_quality`, `seed`, `go_fast`, `megapixels`; its output is a LIST of URIs
even for one image). PNG is asked for: Kling takes only jpg/png references. "$3 per thousand
output images" on its Replicate page (bot/pipeline/spend/prices.py). Replicate removes an API
prediction's output after an hour (replicate.com/docs/topics/predictions/data-retention), so
each portrait is downloaded into the generation's media folder at once, and uploaded again for
each clip's prediction the way start images are.

Each portrait's prediction id is stored the moment its create answers, and its cost charged
then (`PORTRAIT_SECONDS` of the member's allowance, reserved at admission): a restarted run
re-attaches to it. A portrait that fails is left out (the reason stored and shown): that
character stays words-only; the film goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.clips.maker import MediaPolicy
from bot.pipeline.clips.output import output_url
from bot.pipeline.clips.predictions import PROVIDER_ERRORS, CreateFailed, Predictions, describe
from bot.pipeline.clips.video_models import ClipRequest, VideoModel
from bot.pipeline.errors import MediaError, public_reason
from bot.pipeline.events import CastReady, EventBus, Portrait
from bot.pipeline.media.download import download
from storage.models import (
    CastMember,
    CastStatus,
    Continuity,
    Generation,
    MemberStatus,
)
from storage.repository import Repository

log = logging.getLogger(__name__)

PORTRAIT_MODEL = "black-forest-labs/flux-schnell"
# What a portrait is held and charged as, in seconds of the member's daily video allowance:
# its $0.003 is below the price of one second of every video model in the table (the cheapest,
# seedance-1-lite at 480p, is $0.018/s), so one second covers it on any of them.
PORTRAIT_SECONDS = 1.0
MAX_PORTRAIT_BYTES = 20 * 1024 * 1024
MAX_NOTE_CHARS = 300


def portrait_prompt(look: str, style: str, note: str | None = None) -> str:
    """What the image model is asked for: the character's look as a clear reference portrait
    (head and shoulders, facing the camera, a plain background), in the film's style."""
    prompt = (
        f"Character reference portrait of {look}. Head and shoulders, facing the camera, "
        f"even light, plain neutral background. {style}"
    ).strip()
    return f"{prompt} {note}".strip() if note else prompt


def reserve_seconds(characters: int) -> float:
    """What the portraits of `characters` characters hold at admission."""
    return characters * PORTRAIT_SECONDS


def picture_owner(names: Sequence[str], wanted: str | None) -> int | None:
    """Which character (index) a member's own picture shows: the one named `wanted`
    (case-insensitively), the first when no name was given; None when no character has that
    name (the picture is then not used, and the member told)."""
    if not names:
        return None
    if not wanted:
        return 0
    folded = wanted.strip().casefold()
    return next((i for i, n in enumerate(names) if n.casefold() == folded), None)


def words_only(
    model: VideoModel, generation: Generation, durations: Sequence[int], shown: Sequence[bool]
) -> tuple[list[int], str | None]:
    """The scenes (0-based) that show a character but cannot take its portrait on `model`,
    and why (the first reason found)."""
    scenes: list[int] = []
    why: str | None = None
    for index, (duration, shows) in enumerate(zip(durations, shown, strict=True)):
        if not shows:
            continue
        starts = (index == 0 and generation.start_image_path is not None) or (
            index > 0 and generation.continuity is Continuity.CHAINED
        )
        request = ClipRequest(
            "", duration, generation.aspect_ratio, start_image="x" if starts else None
        )
        refusal = model.reference_refusal(request)
        if refusal is not None:
            scenes.append(index)
            why = why or refusal
    return scenes, why


class Casting:
    """Makes and keeps a generation's cast sheet."""

    def __init__(
        self,
        predictions: Predictions,
        *,
        repo: Repository,
        policy: MediaPolicy,
        http: aiohttp.ClientSession,
        bus: EventBus,
        model: VideoModel,
        timeout: float = 600.0,
    ) -> None:
        self._predictions = predictions
        self._repo = repo
        self._policy = policy
        self._http = http
        self._bus = bus
        self._model = model
        self._timeout = timeout

    def takes_references(self) -> bool:
        """Whether the video model takes reference images at all (else no portrait is made)."""
        return self._model.references is not None

    async def sheet(self, generation: Generation, shot_list: ShotList) -> list[CastMember]:
        """The generation's portraits, made (in parallel) unless made before; then published
        (`CastReady`). None made when it asked for no cast, names no character, the video
        model takes no reference images, or none of the scenes showing a character can take
        them on it (veo-3.1 outside 8-second 16:9 clips; the member is told why)."""
        cast = await self._repo.cast(generation.id)
        if cast is None or cast.status is CastStatus.NONE:
            return []
        if not shot_list.characters:
            await self._repo.set_cast_status(
                generation.id, CastStatus.NONE, "the shot list names no character"
            )
            return []
        if self._model.references is None:
            why = f"the video model {self._model.name} takes no reference images"
            await self._repo.set_cast_status(generation.id, CastStatus.NONE, why)
            return []
        clips = await self._repo.clips(generation.id)
        shown = [bool(s.characters) for s in shot_list.scenes][: len(clips)]
        durations = [c.duration for c in clips][: len(shown)]
        scenes, refusal = words_only(self._model, generation, durations, shown)
        note = None
        if scenes:
            listed = ", ".join(str(i + 1) for i in scenes)
            note = f"scene(s) {listed} keep the looks in words only: {refusal}"
        if len(scenes) == sum(shown):  # no scene could use a portrait: none is paid for
            await self._repo.set_cast_status(generation.id, CastStatus.NONE, note)
            self._bus.publish(CastReady(generation.id, (), note))
            return []
        names = [c.name for c in shot_list.characters]
        owner = picture_owner(names, cast.image_name) if cast.image_path else None
        planned = [
            (c.name, c.look, cast.image_path if i == owner else None)
            for i, c in enumerate(shot_list.characters)
        ]
        members = await self._repo.plan_cast(generation.id, planned)
        style = shot_list.style
        await asyncio.gather(
            *(
                self.portrait(generation, m, style)
                for m in members
                if m.status is MemberStatus.PENDING
            )
        )
        members = await self._repo.cast_members(generation.id)
        await self._repo.set_cast_status(generation.id, CastStatus.READY)
        notes = [note] if note else []
        if cast.image_path and owner is None:
            notes.append(
                f"no character is called {cast.image_name!r} (the cast: {', '.join(names)}), "
                "so your picture was not used"
            )
        self._bus.publish(CastReady(generation.id, portraits(members), "; ".join(notes) or None))
        return members

    async def portrait(self, generation: Generation, member: CastMember, style: str) -> None:
        """Make one portrait: create (once), wait, download; left out on any failure."""
        prediction_id = member.prediction_id
        if prediction_id is None:
            inputs: dict[str, object] = {
                "prompt": portrait_prompt(member.look, style, member.note),
                "aspect_ratio": "1:1",
                "num_outputs": 1,
                "output_format": "png",
                "go_fast": True,
            }
            if generation.seed is not None:
                inputs["seed"] = generation.seed + member.index + 1000 * (member.take - 1)
            try:
                prediction_id = await self._predictions.create(
                    inputs, since=time.time(), claimed=_nothing_claimed
                )
            except (CreateFailed, *PROVIDER_ERRORS) as exc:
                await self._drop(member, f"the image model refused it: {describe(exc)}")
                return
            stored = await self._repo.portrait_started(
                member.generation_id, member.index, prediction_id, seconds=PORTRAIT_SECONDS
            )
            if not stored:  # another process stored one first: ours is nobody's
                await self._predictions.cancel(prediction_id)
                return
        snapshot = await self._predictions.wait(prediction_id, timeout=self._timeout)
        if snapshot is None:
            await self._predictions.cancel(prediction_id)
            await self._drop(member, "the image model took too long")
            return
        url = output_url(snapshot.output)
        if snapshot.status != "succeeded" or url is None:
            why = snapshot.error or f"the prediction ended {snapshot.status}"
            await self._drop(member, f"the image model failed: {why}")
            return
        name = f"cast-{member.index + 1}" + (f"-t{member.take}" if member.take > 1 else "")
        dest = self._policy.folder(member.generation_id) / f"{name}.png"
        try:
            await download(
                self._http,
                url,
                dest,
                allowed_hosts=self._policy.allowed_hosts,
                max_bytes=MAX_PORTRAIT_BYTES,
                what="portrait",
            )
        except MediaError as exc:
            await self._drop(member, exc.reason)
            return
        await self._repo.portrait_ended(
            member.generation_id, member.index, MemberStatus.READY, image_path=str(dest)
        )
        log.info(
            "generation %s: portrait of %s ready (%s)", member.generation_id, member.name, dest
        )

    async def _drop(self, member: CastMember, reason: str) -> None:
        reason = public_reason(reason)
        log.warning(
            "generation %s: portrait of %s left out: %s",
            member.generation_id,
            member.name,
            reason,
        )
        await self._repo.portrait_ended(
            member.generation_id, member.index, MemberStatus.DROPPED, reason=reason
        )

    async def close(self) -> None:
        await self._predictions.close()


def portraits(members: Sequence[CastMember]) -> tuple[Portrait, ...]:
    """The cast as the thread shows it."""
    return tuple(
        Portrait(
            m.index,
            m.name,
            Path(m.image_path) if m.status is MemberStatus.READY and m.image_path else None,
            m.reason,
            m.take,
            m.source == "member",
        )
        for m in members
    )


async def _nothing_claimed(ids: Sequence[str]) -> set[str]:
    """No portrait shares a prediction with another (its inputs hold its own look)."""
    del ids
    return set()
