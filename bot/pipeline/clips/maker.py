"""One clip, start to finish: a fair slot, a prediction (created once), its output on disk."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp

from bot.pipeline import media
from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.clips.cancels import Cancels
from bot.pipeline.clips.check import CheckUnavailable, ClipCheck
from bot.pipeline.clips.fairness import FairQueue
from bot.pipeline.clips.output import ClipOutputs, output_removed, output_url
from bot.pipeline.clips.predictions import PROVIDER_ERRORS, CreateFailed, Predictions, describe
from bot.pipeline.clips.replicate_files import ReplicateFiles
from bot.pipeline.clips.snapshot import DATA_KEPT_SECONDS, UNREADABLE, Snapshot, predict_seconds
from bot.pipeline.clips.uploads import ClipUploads, MissingStartImage, references
from bot.pipeline.clips.video_models import ClipRequest, VideoModel
from bot.pipeline.director import chain
from bot.pipeline.errors import UNEXPECTED, ClipError, LeaseLost, MediaError, public_reason
from bot.pipeline.events import (
    ClipCompleted,
    ClipFailed,
    ClipHeld,
    ClipStarted,
    ClipWithheld,
    EventBus,
)
from bot.retry import Retries
from storage.models import (
    Clip,
    ClipStatus,
    Continuity,
    CreateRefused,
    Generation,
    GenerationStatus,
    MemberStatus,
)
from storage.repository import Repository

log = logging.getLogger(__name__)

CLIP_ATTEMPTS = 3
# a clip is made only while its generation is being made: anything else ended it elsewhere
_MAKING = (GenerationStatus.RENDERING, GenerationStatus.REROLLING)
ENDED_ELSEWHERE = "the generation ended elsewhere (cancelled) before this clip was asked for"
OVER_BUDGET = (
    "the daily seconds of video of the member who started this run are used up "
    "(DAILY_VIDEO_SECONDS_LIMIT), so the clip was not asked for"
)
MAX_CLIP_BYTES = 200 * 1024 * 1024
MAX_REMAKES = 3  # outputs lost to Replicate's data removal, remade without spending attempts
HELD_SHOWN = 2.0  # seconds of waiting for the create budget beyond which the member is told


@dataclass(frozen=True)
class MediaPolicy:
    """Where clips go and where they may come from."""

    root: Path
    allowed_hosts: tuple[str, ...]
    max_clip_bytes: int = MAX_CLIP_BYTES

    def folder(self, generation_id: int) -> Path:
        path = self.root / str(generation_id)
        path.mkdir(parents=True, exist_ok=True)
        return path


class Fencing(Protocol):
    """The leases of this process, as a create needs them (`bot.pipeline.run.lease.Leases`)."""

    async def fencing(self, generation_id: int) -> tuple[str, int] | None: ...


class ClipMaker:
    """Renders clips under a process-wide fair limit (`CLIP_CONCURRENCY` slots, round-robin
    between members), storing the prediction id the moment it exists."""

    def __init__(
        self,
        *,
        repo: Repository,
        predictions: Predictions,
        model: VideoModel,
        http: aiohttp.ClientSession,
        policy: MediaPolicy,
        bus: EventBus,
        concurrency: int,
        timeout: float,
        retries: Retries | None = None,
        check: ClipCheck | None = None,
        budget: Callable[[], tuple[float, float]] = lambda: (0.0, 0.0),
        leases: Fencing | None = None,
    ) -> None:
        self._repo = repo
        self._predictions = predictions
        self._model = model
        self._policy = policy
        self._bus = bus
        self._slots: FairQueue[int] = FairQueue(capacity=concurrency)
        self._timeout = timeout
        self._check = check  # each clip's frames moderated before it is public
        self._uploads = ClipUploads(repo, ReplicateFiles(predictions.api))
        self._budget = budget  # DAILY_VIDEO_SECONDS_LIMIT and the start of its day, at each create
        self.cancels = Cancels(repo, predictions)
        self._outputs = ClipOutputs(
            repo=repo,
            predictions=predictions,
            http=http,
            allowed_hosts=policy.allowed_hosts,
            max_bytes=policy.max_clip_bytes,
            retries=retries or Retries(),
        )
        self._leases = leases  # None: this process alone makes its clips (the terminal)

    async def _fence(self, generation_id: int) -> tuple[str, int] | None:
        """Before a prediction is created: the lease (owner, epoch) the create and its stored
        id are fenced with in the database (None: no leases, one process alone). A generation
        whose lease this process no longer holds at its epoch (it stalled past its lease and
        another process took it over, or the lease is gone) stops here with `LeaseLost`: the
        run's other clips are stopped with it (`run.steps.all_or_lost`), so no scene is
        created twice."""
        if self._leases is None:
            return None
        lease = await self._leases.fencing(generation_id)
        if lease is None:
            log.warning(
                "generation %s: lease lost before a prediction; stopping here (nothing created)",
                generation_id,
            )
            raise LeaseLost(generation_id)
        return lease

    @property
    def model(self) -> VideoModel:
        """The video model its clips are made with."""
        return self._model

    def share_provider_budget(self, parts: int) -> None:
        """Replicate's request budgets, divided between `parts` live processes."""
        self._predictions.share_budget(parts)

    def inputs(self, generation: Generation, clip: Clip, style: str) -> dict[str, object]:
        """The prediction input for `clip` as stored (its start image's URL included), so the
        same clip always gives the same input: a lost create is found by it."""
        prompt = f"{clip.prompt} {style}".strip() if style else clip.prompt
        seed = clip.seed  # a reroll's take has its own seed
        if seed is None and generation.seed is not None:
            seed = generation.seed + clip.index
        request = ClipRequest(
            prompt,
            clip.duration,
            generation.aspect_ratio,
            seed,
            clip.start_image_url,
            tuple(references(clip)),  # issue 24: its characters' portraits, as uploaded
        )
        return self._model.inputs(request)

    async def start_image(self, generation: Generation, clip: Clip) -> Path | None:
        """The image file `clip` starts from, if any: the member's image for the first scene;
        in a chained generation (and an Extend's first scene), the last frame of the scene
        before for the others."""
        if clip.index == 0 and generation.start_image_path:
            return Path(generation.start_image_path)
        # a chained film's scenes, and the first scene of an Extend (issue 24: it opens on the
        # film's last frame), start from the last frame of the scene before
        if clip.index > 0 and (generation.continuity is Continuity.CHAINED or clip.chained):
            folder = self._policy.folder(generation.id)
            try:
                return await chain.start_frame(self._repo, self._model, generation, clip, folder)
            except chain.BrokenChain as exc:
                reason = await self._ended(generation, clip, exc.reason, will_retry=False)
                raise ClipError(clip.index, reason) from exc
        return None

    async def _ready(self, generation: Generation, clip: Clip) -> Clip:
        """The clip as its create must name it: its start image uploaded now, just before the
        create, unless the stored upload is still usable (`ClipUploads.ready`)."""
        try:
            clip = await self._uploads.ready(clip, lambda: self.start_image(generation, clip))
        except MissingStartImage as exc:
            reason = "its start image is no longer on the bot's server"
            reason = await self._ended(generation, clip, reason, will_retry=False)
            raise ClipError(clip.index, reason) from exc
        try:
            return await self._uploads.with_references(
                clip, await self._portraits(generation, clip)
            )
        except MissingStartImage as exc:
            reason = "a portrait of its cast is no longer on the bot's server"
            reason = await self._ended(generation, clip, reason, will_retry=False)
            raise ClipError(clip.index, reason) from exc

    async def _portraits(self, generation: Generation, clip: Clip) -> list[tuple[str, Path]]:
        """The portraits of the characters the clip's scene shows (issue 24), in cast order,
        when the video model takes them for this clip (`bot.pipeline.director.cast`); none
        when the generation has no cast sheet."""
        if self._model.references is None:
            return []
        request = ClipRequest(
            clip.prompt, clip.duration, generation.aspect_ratio, start_image=clip.start_image_url
        )
        if self._model.reference_refusal(request) is not None:
            return []  # the member was told once, with the cast sheet
        members = [m for m in await self._repo.cast_members(generation.id) if m.image_path]
        if not members:
            return []
        fresh = await self._repo.generation(generation.id)
        if fresh is None or not fresh.shot_list:
            return []
        scenes = ShotList.model_validate_json(fresh.shot_list).scenes
        if not 0 <= clip.index < len(scenes):
            return []
        shown = {name.casefold() for name in scenes[clip.index].characters}
        return [
            (m.name, Path(m.image_path))
            for m in members
            if m.status is MemberStatus.READY and m.image_path and m.name.casefold() in shown
        ]

    async def make(self, generation: Generation, clip: Clip, style: str) -> Path:
        """The clip's file, rendering it if needed; raises ClipError after its retries. Any
        error ends the clip in a stored state with a reason the member can read, but a lost
        lease: the clip is the new holder's, its state left as it is (`LeaseLost` raised)."""
        try:
            return await self._make(generation, clip, style)
        except (ClipError, LeaseLost):
            raise
        except Exception as exc:
            reason = await self._failed_unexpectedly(generation, clip, style, exc)
            raise ClipError(clip.index, reason) from exc

    async def _failed_unexpectedly(
        self, generation: Generation, clip: Clip, style: str, exc: Exception
    ) -> str:
        """Store and publish the failure of a step that raised something other than ClipError;
        a create that may be in flight is remembered, to be found and cancelled."""
        if isinstance(exc, PROVIDER_ERRORS):
            reason = describe(exc)
            log.warning("generation %s clip %s: %s", generation.id, clip.index + 1, reason)
        elif isinstance(exc, OSError):
            reason = f"the bot's server could not save it ({exc.strerror or type(exc).__name__})"
            log.warning("generation %s clip %s: %s", generation.id, clip.index + 1, exc)
        else:
            reason = UNEXPECTED
            log.error(
                "generation %s clip %s failed unexpectedly",
                generation.id,
                clip.index + 1,
                exc_info=exc,
            )
        fresh = await self._repo.clip(clip.id)
        if fresh.status is ClipStatus.CREATING:  # the create may have reached Replicate
            await self.cancels.later(fresh, None, self.inputs(generation, fresh, style), reason)
        return await self._ended(generation, clip, reason, will_retry=False)

    async def _ended(
        self, generation: Generation, clip: Clip, reason: str, *, will_retry: bool
    ) -> str:
        """Store and publish the end of a clip's attempt (back to pending when `will_retry`,
        else failed); returns the reason as stored. Provider text (Replicate's error, a
        prediction's own message) is made public-safe first: the stored reason reaches the
        reply, the thread and /history."""
        reason = public_reason(reason)
        status = ClipStatus.PENDING if will_retry else ClipStatus.FAILED
        await self._repo.clip_ended(clip.id, status, reason)
        self._bus.publish(ClipFailed(generation.id, clip.index, reason, will_retry))
        return reason

    async def _make(self, generation: Generation, clip: Clip, style: str) -> Path:
        if (
            clip.status is ClipStatus.SUCCEEDED
            and clip.output_path
            and Path(clip.output_path).exists()
        ):
            return Path(clip.output_path)
        if clip.status is ClipStatus.FAILED:  # failed for good before a restart: retries spent
            raise ClipError(clip.index, clip.error or "the clip failed")
        made = await self._outputs.made_elsewhere(generation, clip)
        if made is not None:
            return await self._download(generation, clip, made, again=True)
        reused = await self._outputs.earlier(generation, clip)
        if reused is not None:
            await self._started(generation, clip, reused.id)
            return await self._download(generation, clip, reused)
        remade = 0
        async with self._slots.slot(generation.owner_id):
            while True:
                prediction_id = await self._attach_or_create(generation, clip, style)
                prediction = await self._predictions.wait(prediction_id, timeout=self._timeout)
                await self._uploads.release(clip.id)  # ended (or cancelled): its file is not needed
                if prediction is not None and prediction.status == "canceled":
                    fresh = await self._repo.generation(generation.id)
                    if fresh is None or fresh.status not in _MAKING:
                        # cancelled by whoever cancelled the generation: not a failure to retry
                        raise ClipError(clip.index, ENDED_ELSEWHERE)
                if prediction is not None and output_removed(prediction) and remade < MAX_REMAKES:
                    remade += 1
                    await self._remake(generation, clip, prediction)
                    continue
                reason = await self._outcome(generation, clip, prediction_id, prediction)
                if reason is None and prediction is not None:
                    break
                reason = reason or "no result"
                clip = await self._repo.clip(clip.id)
                will_retry = clip.attempts < CLIP_ATTEMPTS
                log.warning("generation %s clip %s: %s", generation.id, clip.index + 1, reason)
                reason = await self._ended(generation, clip, reason, will_retry=will_retry)
                if not will_retry:
                    raise ClipError(clip.index, reason)
        return await self._download(generation, clip, prediction)

    async def _attach_or_create(self, generation: Generation, clip: Clip, style: str) -> str:
        clip = await self._repo.clip(clip.id)
        if clip.status is ClipStatus.RUNNING and clip.prediction_id:
            return clip.prediction_id  # re-attach: never a second prediction for this scene
        since = clip.create_started_at or time.time()
        if clip.status is ClipStatus.CREATING:  # a create was in flight when we stopped
            found = await self._predictions.find_created(
                self.inputs(generation, clip, style),  # as stored: the input of that create
                since=since,
                claimed=self._repo.claimed_prediction_ids,
            )
            if found.prediction_id is not None:
                await self._started(generation, clip, found.prediction_id)
                return found.prediction_id
            if found.unmatchable:
                await self._lost_create_unmatchable(generation, clip, found.unmatchable)
        lease = await self._fence(generation.id)
        limit, day = self._budget()
        attempt = await self._repo.clip_create_admitted(
            clip.id, limit=limit, since=day, lease=lease
        )
        if attempt in (CreateRefused.LEASE, CreateRefused.TAKEN):  # another process has it
            raise LeaseLost(generation.id)
        if attempt is CreateRefused.ENDED:
            raise ClipError(clip.index, ENDED_ELSEWHERE)
        if attempt is CreateRefused.BUDGET:
            raise ClipError(clip.index, OVER_BUDGET)
        assert isinstance(attempt, int)
        # admitted: its start image is uploaded now, just before the create, not before the
        # slot (an upload expires), and stored before the create names it
        clip = await self._ready(generation, clip)
        inputs = self.inputs(generation, clip, style)

        def held(ahead: int, seconds: float) -> None:  # the create waits for the budget
            if seconds > HELD_SHOWN:
                self._bus.publish(ClipHeld(generation.id, clip.index, ahead, time.time() + seconds))

        try:
            prediction_id = await self._predictions.create(
                inputs, since=time.time(), claimed=self._repo.claimed_prediction_ids, held=held
            )
        except CreateFailed as exc:
            reason = await self._ended(generation, clip, str(exc), will_retry=False)
            raise ClipError(clip.index, reason) from exc
        if not await self._repo.clip_started(clip.id, prediction_id, attempt=attempt, lease=lease):
            # a cancel, or another process taking the clip over, raced this create: unless
            # the new holder adopted it, the prediction is nobody's, so its creator cancels it
            if (await self._repo.clip(clip.id)).prediction_id != prediction_id:
                await self.cancels.now_or_later(clip, prediction_id, "superseded before stored")
            fresh = await self._repo.generation(generation.id)
            if fresh is not None and fresh.status in _MAKING:
                raise LeaseLost(generation.id)
            raise ClipError(clip.index, ENDED_ELSEWHERE)
        self._bus.publish(ClipStarted(generation.id, clip.index, prediction_id))
        return prediction_id

    async def _lost_create_unmatchable(
        self, generation: Generation, clip: Clip, count: int
    ) -> None:
        """A create was in flight when the process stopped, and Replicate has since removed
        the input of `count` predictions of the model created after it: whether one of them
        was this clip's cannot be told. The clip is made again; the lost attempt is given back."""
        reason = (
            f"a create was in flight when the bot stopped, and Replicate has removed the input "
            f"of {count} prediction(s) of the model made since (it keeps an API prediction's "
            f"data about {DATA_KEPT_SECONDS // 60} minutes after it ends), so it cannot be "
            "matched: making the clip again"
        )
        log.warning("generation %s clip %s: %s", generation.id, clip.index + 1, reason)
        await self._repo.clip_remade(clip.id, reason, 0.0)

    async def _remake(self, generation: Generation, clip: Clip, prediction: Snapshot) -> None:
        """The prediction succeeded but Replicate removed its output before the clip was
        downloaded (a long outage): made again, spending no failure attempt; its billed time
        stays counted."""
        seconds = predict_seconds(prediction)
        reason = (
            f"Replicate removed the output of prediction {prediction.id} before it was "
            f"downloaded (it keeps an API prediction's data about {DATA_KEPT_SECONDS // 60} "
            "minutes after it ends): making the clip again"
        )
        log.warning(
            "generation %s clip %s: %s (%.1f s of billed time spent again)",
            generation.id,
            clip.index + 1,
            reason,
            seconds,
        )
        await self._repo.clip_remade(clip.id, reason, seconds)
        self._bus.publish(ClipFailed(generation.id, clip.index, reason, True))

    async def _started(self, generation: Generation, clip: Clip, prediction_id: str) -> None:
        await self._repo.clip_started(clip.id, prediction_id)
        self._bus.publish(ClipStarted(generation.id, clip.index, prediction_id))

    async def _outcome(
        self, generation: Generation, clip: Clip, prediction_id: str, prediction: Snapshot | None
    ) -> str | None:
        """None when the prediction succeeded with an output, else the reason it did not."""
        if prediction is None:
            reason = f"the prediction was still running after {self._timeout:g} s"
            await self.cancels.now_or_later(clip, prediction_id, reason)
            return f"{reason} and was cancelled"
        if prediction.status == UNREADABLE:
            reason = (
                f"Replicate's answer about the prediction could not be read ({prediction.error})"
            )
            await self.cancels.now_or_later(clip, prediction_id, reason)
            return reason
        if prediction.status == "failed":
            return f"Replicate failed the prediction: {prediction.error or 'no error message'}"
        if prediction.status == "canceled":
            return "the prediction was cancelled at Replicate"
        if prediction.status == "aborted":
            return "Replicate aborted the prediction before it started (its deadline passed)"
        if not output_url(prediction.output):
            return "Replicate returned no video (the output was empty, possibly filtered)"
        return None

    async def _download(
        self, generation: Generation, clip: Clip, prediction: Snapshot, *, again: bool = False
    ) -> Path:
        """Fetch the clip's output, store it as made; `again`: a prediction already counted
        (its seconds are not added twice)."""
        folder = self._policy.folder(generation.id)
        url = output_url(prediction.output)
        assert url is not None
        dest = folder / clip_name(clip)
        try:
            await self._outputs.fetch(generation, clip, url, dest)
            await media.probe(dest)  # a clip that is not a readable video fails here, as a clip
        except MediaError as exc:
            reason = await self._ended(generation, clip, exc.reason, will_retry=False)
            raise ClipError(clip.index, reason) from exc
        spent_before = (await self._repo.clip(clip.id)).predict_seconds  # outputs lost before
        if self._check is not None:  # before anything shows it
            spent = spent_before + (0.0 if again else predict_seconds(prediction))
            await self._checked(generation, clip, dest, spent)
        await self._repo.clip_succeeded(
            clip.id,
            output_path=str(dest),
            thumbnail_path=None,
            predict_seconds=spent_before + (0.0 if again else predict_seconds(prediction)),
        )
        self._bus.publish(ClipCompleted(generation.id, clip.index, dest))
        return dest

    async def _checked(self, generation: Generation, clip: Clip, dest: Path, spent: float) -> None:
        """Raise ClipError (the clip ended failed, its file removed) unless its frames pass the
        content check. A withheld clip is never published as made (`ClipCompleted` is what
        posts a clip in the thread); its member is told privately (`ClipWithheld`)."""
        assert self._check is not None
        try:
            categories = await self._check.flagged(dest)
        except CheckUnavailable as exc:
            dest.unlink(missing_ok=True)
            reason = f"it could not be checked before it is shown: {exc.reason}"
            reason = await self._ended(generation, clip, reason, will_retry=False)
            raise ClipError(clip.index, reason) from exc
        if not categories:
            return
        dest.unlink(missing_ok=True)
        reason = (
            f"scene {clip.index + 1} was withheld: it did not pass the content check "
            "(press Retry to make it again)"
        )
        log.warning(
            "generation %s clip %s withheld by moderation (%s)",
            generation.id,
            clip.index + 1,
            ", ".join(categories),
        )
        await self._repo.clip_withheld(
            clip.id,
            reason,
            seed=secrets.randbelow(2**31),
            predict_seconds=spent,  # a valid seed
        )
        self._bus.publish(
            ClipWithheld(
                generation.id, clip.index, tuple(categories), generation.owner_id, generation.source
            )
        )
        self._bus.publish(ClipFailed(generation.id, clip.index, reason, False))
        raise ClipError(clip.index, reason)

    async def cancel(self, clip: Clip, inputs: dict[str, object] | None) -> None:
        """Cancel the clip's prediction (see `Cancels.cancel`) and delete its start image's
        upload."""
        await self.cancels.cancel(clip, inputs)
        await self._uploads.release(clip.id)

    async def close(self) -> None:
        """Stop following predictions: called once no clip is being made any more. Cancels
        still pending stay stored for the next start."""
        await self.cancels.close()
        await self._predictions.close()


def clip_name(clip: Clip) -> str:
    """The take's file name in its generation's folder: every version's take is kept."""
    take = "" if clip.version == 1 else f"-v{clip.version}"
    return f"clip-{clip.index + 1}{take}.mp4"
