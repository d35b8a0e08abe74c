"""The runner: the only way in and the only writer of a generation's status. It admits
(`submit`, `retry`, `reroll`), queues, starts, resumes, cancels and ends generations:

queued → analysing → rendering → stitching → delivering → done | failed | cancelled.

What a started generation does, step by step, is its story (`bot.pipeline.run.story`; a reroll's,
`bot.pipeline.director.reroll`). Every transition is stored before it is published; a step already
done
is never done again, so a restarted process picks every unfinished generation up where it
stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.analysis.writer import Analyst
from bot.pipeline.checks.preflight import Problem
from bot.pipeline.clips.fairness import FairQueue
from bot.pipeline.clips.maker import ClipMaker, MediaPolicy
from bot.pipeline.director.cast import Casting, reserve_seconds
from bot.pipeline.director.characters import MAX_CHARACTERS
from bot.pipeline.director.extend import Extends
from bot.pipeline.director.recast import Recasts
from bot.pipeline.director.reroll import Rerolls
from bot.pipeline.director.start_image import StartImage
from bot.pipeline.events import Cancelled, EventBus, Queued
from bot.pipeline.run import held
from bot.pipeline.run.crew import Crew
from bot.pipeline.run.deliverer import Deliverer
from bot.pipeline.run.endings import Endings
from bot.pipeline.run.generation_tasks import GenerationTasks
from bot.pipeline.run.pacing import AnswersFirst
from bot.pipeline.run.story import Story
from bot.pipeline.run.transitions import Transitions, Who
from bot.pipeline.run.waits import QueueWaits
from bot.pipeline.sound.music import Composer
from bot.pipeline.sound.speech import Narrator
from bot.pipeline.spend.admission import NO_LONGER_ENABLED, Admission
from bot.retry import Retries
from storage.models import (
    ClipStatus,
    Generation,
    GenerationStatus,
    NewGeneration,
    ScoreStatus,
    Version,
    VersionStatus,
)
from storage.repository import Repository

log = logging.getLogger(__name__)


NOT_SHOWN = (
    "Reelbot could not set this generation up (Discord or its database did not answer), "
    "so nothing was started or spent; please try again."
)

NEVER_SHOWN = "stopped before its reply was sent, so it was never started; nothing was spent"


@dataclass
class RunnerConfig:
    """The runner's settings: generations one member may run at once, and whether a
    generation goes on past its shot list to clips and a film."""

    user_concurrency: int = 1
    video_enabled: bool = True


Announce = Callable[[Generation], Awaitable[None]]
FindReply = Callable[[Generation], Awaitable[bool]]

MEMBER_SLOT_POLL = 1.0  # seconds between looks for a member's free slot held by other processes


class Leases(Protocol):
    """The leases of this process (`bot.pipeline.run.lease`): taken inside the transaction that
    admits a run (`terms`), then known by their epoch (`took`); `holds` before spending."""

    def terms(self) -> tuple[str, float]: ...

    async def took(self, generation_id: int) -> None: ...

    async def fencing(self, generation_id: int) -> tuple[str, int] | None: ...


class Runner:
    """The only way in and the only writer of a generation's status: admits (`submit`,
    `retry`), starts, resumes, cancels and drives generations, and publishes their events on
    `bus`. Owns one task per generation in this process (`_tasks`) and the members' queue."""

    def __init__(
        self,
        *,
        repo: Repository,
        analyst: Analyst,
        clips: ClipMaker | None,
        bus: EventBus,
        policy: MediaPolicy,
        config: RunnerConfig,
        admission: Admission,
        narrator: Narrator | None = None,
        leases: Leases | None = None,
        retries: Retries | None = None,
        composer: Composer | None = None,
        casting: Casting | None = None,
    ) -> None:
        self.repo = repo
        self.leases = leases  # None: this process alone runs the work (the terminal)
        self._narrator = narrator
        self.bus = bus
        self._admission = admission
        self._analyst = analyst
        self._clips = clips
        self._deliverers: dict[str, Deliverer] = {}
        self._reply_finders: dict[str, FindReply] = {}
        self._policy = policy
        self._config = config
        self._queue: FairQueue[int] = FairQueue(per_key=config.user_concurrency)
        self._answers = AnswersFirst()  # a burst's answers before the work they start
        self._tasks = GenerationTasks()
        self._moves = Transitions(repo)
        self._endings = Endings(self._moves, bus, retries)
        self._held: dict[int, str] = {}  # resumed ones a configuration error stops: why
        self._waits = QueueWaits()  # about when a run in its member's queue starts
        bus.subscribe(self._waits.handle)
        self._closed = False
        crew = Crew(
            repo=repo,
            analyst=analyst,
            clips=clips,
            bus=bus,
            policy=policy,
            admission=admission,
            narrator=narrator,
            deliverers=self._deliverers,
            composer=composer,
            casting=casting,
        )
        self._rerolls = Rerolls(crew, self._moves)
        self._extends = Extends(crew, self._moves)
        self._recasts = Recasts(crew, self._moves)
        self._story = Story(
            crew, self._moves, video_enabled=config.video_enabled, fail=self._endings.fail
        )

    # lifetime ----------------------------------------------------------------------------

    def register_deliverer(self, source: str, deliverer: Deliverer) -> Callable[[], None]:
        """Who delivers the films of generations from `source` ("discord", "cli"), until the
        returned function is called (a cog's unload)."""
        self._deliverers[source] = deliverer
        return lambda: self._forget(self._deliverers, source, deliverer)

    def register_reply_finder(self, source: str, find: FindReply) -> Callable[[], None]:
        """How to tell whether a generation of `source` that a crash left queued before its
        reply's id was stored has a reply at all (a resume runs it only then), until the
        returned function is called."""
        self._reply_finders[source] = find
        return lambda: self._forget(self._reply_finders, source, find)

    def delivers(self) -> frozenset[str]:
        """The sources whose films this process can deliver now."""
        return frozenset(self._deliverers)

    @staticmethod
    def _forget(registry: dict[str, Any], source: str, entry: object) -> None:
        if registry.get(source) is entry:  # not a later registration in its place
            del registry[source]

    async def submit(
        self,
        new: NewGeneration,
        *,
        announce: Announce | None = None,
        start_image: StartImage | None = None,
        cast_image: StartImage | None = None,
    ) -> Generation:
        """Admit a new generation (the allow-list and its member's daily budget; `Refused`
        says why not), store it (with its `start_image`, checked before: the first frame of
        scene 1), `announce` it (e.g. send the reply that will show it) and start it; it
        waits in its member's queue if need be.

        When `announce` fails, the generation ends failed before anything was spent, and is
        not counted: a generation nobody was shown never runs."""
        self._admission.check_guild(new.source, new.guild_id)
        with self._answers.answering():
            generation = await self._moves.admit(
                new,
                admit=self._admission.check_usage,
                since=self._admission.since(),
                reserve=self._reserve(new.clips_requested, music=new.music)
                + (reserve_seconds(MAX_CHARACTERS) if new.cast and self._reserve(1) else 0.0),
                lease=self._lease_terms(),
            )
            await self._took(generation.id)
            if start_image is not None:  # a crash before this is never shown, never run
                path = await start_image.save(self._policy.folder(generation.id))
                await self.repo.set_start_image(generation.id, str(path))
            if cast_image is not None:  # issue 24: a member's picture of a character
                path = await cast_image.save(self._policy.folder(generation.id), "cast-image")
                await self.repo.set_cast_image(generation.id, str(path))
            if announce is not None:
                try:
                    await announce(generation)
                except BaseException:
                    log.warning("generation %s was never shown; it is ended", generation.id)
                    # in its own task: the caller's error path is not held up by a slow write
                    self._tasks.start(generation.id, lambda: self._never_shown(generation))
                    raise
        if announce is not None or start_image is not None or cast_image is not None:
            fresh = await self.repo.generation(generation.id)
            generation = fresh or generation
        self.start(generation)
        return generation

    def start(self, generation: Generation) -> asyncio.Task[None] | None:
        if self._closed:
            log.info(
                "not starting generation %s: shutting down (resumed at the next start)",
                generation.id,
            )
            return None
        return self._tasks.start(generation.id, lambda: self._queued(generation))

    async def resume(
        self,
        source: str,
        *,
        unusable: Sequence[Problem] = (),
        pending: Sequence[Generation] | None = None,
    ) -> list[Generation]:
        """Start every unfinished generation of `source` again (or those of `pending`: the
        ones this process claimed, `bot.pipeline.run.lease`); returns them. One from a guild
        no longer allowed is ended instead (its predictions cancelled, the reason stored). One
        that needs a provider the start-up check found misconfigured (`unusable`) ends failed
        with that error, spending nothing more (`bot.pipeline.run.held`)."""
        if self._clips is not None:  # predictions a cancel could not stop before
            self._clips.cancels.watch(first_delay=0)
        if pending is None:
            pending = await self.repo.unfinished(source)
        for generation in pending:
            if not self._admission.allows_guild(generation.source, generation.guild_id):
                log.info("ending generation %s: its guild is no longer allowed", generation.id)
                self._tasks.side(
                    self.cancel(generation.id, reason=NO_LONGER_ENABLED, who=Who.BOT),
                    name=f"generation-{generation.id}-end",
                )
                continue
            stopped = held.stopping(unusable, generation, video=self._config.video_enabled)
            if stopped:  # ended by its task, after the check for a reply nobody saw
                self._held[generation.id] = held.reason(stopped)
            log.info("resuming generation %s (%s)", generation.id, generation.status)
            self.start(generation)
        return list(pending)

    def _reserve(self, scenes: int | None, *, music: bool = False) -> float:
        """A run's worst-case seconds, reserved at admission (none when no video is made);
        with `music`, the score's worth too (`Admission.music_worth`)."""
        if not self._config.video_enabled or self._clips is None:
            return 0.0
        return self._admission.worst_case(scenes, music=music)

    def _lease_terms(self) -> tuple[str, float] | None:
        return None if self.leases is None else self.leases.terms()

    async def _took(self, generation_id: int) -> None:
        if self.leases is not None:
            await self.leases.took(generation_id)

    def held(self) -> set[int]:
        """The generations this process is working on (or holding in its queue)."""
        return self._tasks.held()

    def drop(self, generation_id: int) -> None:
        """Stop working on a generation another process has taken over: its task is cancelled
        as at shutdown, its stored state and its predictions left as they are."""
        self._tasks.drop(generation_id)

    def share_provider_budget(self, parts: int) -> None:
        """Replicate's account-wide request budgets, divided between `parts` live processes."""
        if self._clips is not None:
            self._clips.share_provider_budget(parts)

    def running(self, generation_id: int) -> bool:
        return self._tasks.running(generation_id)

    async def wait(self, generation_id: int) -> Generation:
        """Wait for the generation's task to end; returns its stored state."""
        await self._tasks.finished(generation_id)
        generation = await self.repo.generation(generation_id)
        assert generation is not None
        return generation

    async def close(self) -> None:
        """Stop every task without changing stored state: a restart resumes them. A
        generation started after this stays queued in the database for the next start."""
        self._closed = True
        await self._tasks.close()
        if self._clips is not None:
            await self._clips.close()

    # member actions ----------------------------------------------------------------------

    async def cancel(
        self, generation_id: int, *, reason: str | None = None, who: Who = Who.MEMBER
    ) -> bool:
        """Cancel a generation: its predictions at Replicate too, and no new ones. False when
        it had already ended. `reason` (shown on the reply) when not a member's own cancel. Each
        clip's cancel is attempted (and logged) on its own; one that Replicate did not confirm
        is tried again later; `Cancelled` is published whatever happens once the cancelled
        state is stored."""
        generation = await self.repo.generation(generation_id)
        if generation is not None and generation.status is GenerationStatus.REROLLING:
            return await self._cancel_reroll(generation, reason)
        if generation is None or not await self._moves.end(
            generation_id, GenerationStatus.CANCELLED, reason or "cancelled by a member", who=who
        ):
            return False
        try:
            await self._tasks.stop(generation_id)
            if self._clips is not None:
                await self._cancel_clips(generation)
        finally:
            self.bus.publish(Cancelled(generation_id, reason))
        return True

    async def _cancel_clips(self, generation: Generation) -> None:
        assert self._clips is not None
        style = (
            ShotList.model_validate_json(generation.shot_list).style if generation.shot_list else ""
        )
        for clip in await self.repo.clips(generation.id):
            if clip.status not in (ClipStatus.RUNNING, ClipStatus.CREATING, ClipStatus.PENDING):
                continue
            try:
                await self._clips.cancel(clip, self._clips.inputs(generation, clip, style))
            except Exception:  # one clip's failure must not leave the next one billing
                log.exception(
                    "cancelling clip %s of generation %s failed", clip.index + 1, generation.id
                )

    async def retry(self, generation_id: int, *, started_by: int | None = None) -> bool:
        """Run a failed or cancelled generation again, rendering only what is missing. A new
        run: admitted like a new generation (`Refused` says why not), charged to `started_by`
        (default the owner), its lease taken in the admitting transaction (a refused Retry
        takes none). False when it is not failed or cancelled (of two presses, one wins)."""
        generation = await self.repo.generation(generation_id)
        if generation is None:
            return False
        self._admission.check_guild(generation.source, generation.guild_id)
        missing = [
            c for c in await self.repo.clips(generation_id) if c.status is not ClipStatus.SUCCEEDED
        ]
        score = await self.repo.score(generation_id)  # a score not created yet is made now
        music = score is not None and score.status is ScoreStatus.WANTED and not score.prediction_id
        reserve = (
            float(sum(c.duration for c in missing))
            + (self._admission.music_worth() if music else 0.0)
            if generation.shot_list
            else self._reserve(generation.clips_requested, music=music)
        )
        if not await self._moves.admit_retry(
            generation_id,
            admit=self._admission.check_usage,
            since=self._admission.since(),
            reserve=reserve if self._reserve(1) else 0.0,
            started_by=generation.owner_id if started_by is None else started_by,
            lease=self._lease_terms(),
        ):
            return False
        await self._took(generation_id)
        generation = await self.repo.generation(generation_id)
        assert generation is not None
        self.start(generation)
        return True

    async def reroll(
        self,
        generation_id: int,
        scene: int,
        note: str | None = None,
        *,
        started_by: int | None = None,
    ) -> Version:
        """Render scene `scene` (0-based) of a done film again with a new seed (its prompt
        rewritten from `note`, when given), then deliver the new cut as the next version
        (bot/pipeline/director/reroll.py). A new run: admitted like a Retry, charged to `started_by`
        (default the owner: a moderator's Reroll counts against the moderator), its lease
        taken in the admitting transaction; `Refused` says why not."""
        version = await self._rerolls.admit(
            generation_id, scene, note, started_by=started_by, lease=self._lease_terms()
        )
        await self._took(generation_id)
        self._rerolls.started(version)
        await self._tasks.finished(generation_id)  # the run that made the film, ending now
        generation = await self.repo.generation(generation_id)
        assert generation is not None
        self.start(generation)
        return version

    async def check_reroll(
        self,
        generation_id: int,
        scene: int,
        note: str | None = None,
        *,
        started_by: int | None = None,
    ) -> None:
        """Raise `Refused` when `reroll` would be refused now (asked before the member types a
        note; `reroll` checks again)."""
        await self._rerolls.check(generation_id, scene, note, started_by=started_by)

    async def _cancel_reroll(self, generation: Generation, reason: str | None) -> bool:
        """Cancel a reroll (or an Extend): its task, its take's prediction (an Extend's new
        scenes' ones); the film stays the version before."""
        version = await self.repo.reroll_in_progress(generation.id)
        if version is None:
            return False
        await self._tasks.stop(generation.id)
        if self._clips is not None:
            await self._cancel_clips(generation)
        ends = self._rerolls.end
        if version.added:
            ends = self._extends.end
        elif version.recast is not None:
            ends = self._recasts.end
        return await ends(version, VersionStatus.CANCELLED, reason or "cancelled by a member")

    async def recast(
        self,
        generation_id: int,
        member: int,
        note: str | None = None,
        *,
        started_by: int | None = None,
    ) -> Version:
        """Make cast member `member`'s portrait again (from `note`, when given), then render
        every scene that shows them again with it, as the next version of the film
        (bot/pipeline/director/recast.py). A new run, admitted like a Reroll; `Refused` says
        why not."""
        version = await self._recasts.admit(
            generation_id, member, note, started_by=started_by, lease=self._lease_terms()
        )
        await self._took(generation_id)
        await self._recasts.started(version)
        await self._tasks.finished(generation_id)
        generation = await self.repo.generation(generation_id)
        assert generation is not None
        self.start(generation)
        return version

    async def check_recast(
        self, generation_id: int, member: int, *, started_by: int | None = None
    ) -> None:
        """Raise `Refused` when `recast` would be refused now (before the member types a note)."""
        await self._recasts.check(generation_id, member, started_by=started_by)

    async def extend(
        self,
        generation_id: int,
        scenes: int,
        note: str | None = None,
        *,
        started_by: int | None = None,
    ) -> Version:
        """Continue a done film by `scenes` more scenes, written by the analysis from the shot
        list so far, and deliver it as the next version (bot/pipeline/director/extend.py). A
        new run: admitted like a Reroll, charged to `started_by` (default the owner); `Refused`
        says why not (past MAX_CLIPS, the member's limits)."""
        version = await self._extends.admit(
            generation_id, scenes, note, started_by=started_by, lease=self._lease_terms()
        )
        await self._took(generation_id)
        self._extends.started(version)
        await self._tasks.finished(generation_id)  # the run that made the film, ending now
        generation = await self.repo.generation(generation_id)
        assert generation is not None
        self.start(generation)
        return version

    async def check_extend(
        self, generation_id: int, scenes: int, *, started_by: int | None = None
    ) -> None:
        """Raise `Refused` when `extend` would be refused now (asked before the member types a
        note; `extend` checks again)."""
        await self._extends.check(generation_id, scenes, started_by=started_by)

    # the story ---------------------------------------------------------------------------

    async def _queued(self, generation: Generation) -> None:
        find = self._reply_finders.get(generation.source)
        if (
            find is not None
            and generation.status is GenerationStatus.QUEUED
            and generation.message_id is None
            and not await find(generation)
        ):  # stored, then a crash before its reply was sent: nobody was shown it
            log.info("generation %s has no reply; it is cancelled, not run", generation.id)
            await self._endings.end(
                generation, NEVER_SHOWN, status=GenerationStatus.CANCELLED, who=Who.BOT
            )
            return
        stopped = self._held.pop(generation.id, None)
        if stopped is not None:  # resumed while a provider it needs is misconfigured
            log.warning("generation %s is not resumed: %s", generation.id, stopped)
            await self._endings.end(generation, stopped, refund=True, who=Who.BOT)
            return

        def position(place: int) -> None:
            slots = self._config.user_concurrency
            until = self._waits.start_at(generation.owner_id, place, slots)
            self.bus.publish(Queued(generation.id, place, until))

        await self._answers.after_answers()  # a burst of commands is answered first
        async with self._queue.slot(generation.owner_id, position):
            await self._member_slot(generation, position)
            if generation.status is GenerationStatus.REROLLING:
                version = await self.repo.reroll_in_progress(generation.id)
                if version is not None and version.added:  # issue 24: an Extend
                    await self._extends.run(generation.id)
                elif version is not None and version.recast is not None:  # and a Recast
                    await self._recasts.run(generation.id)
                else:
                    await self._rerolls.run(generation.id)
            else:
                self._waits.started(generation.id, generation.owner_id)
                try:
                    await self.run(generation.id)
                finally:
                    self._waits.left(generation.id)

    async def _member_slot(self, generation: Generation, position: Callable[[int], None]) -> None:
        """Wait while the member's other generations fill their `USER_CONCURRENCY` in the
        database, so the limit holds across processes: the count and the start are one
        transaction under the member's lock. A generation already past its queue holds its
        slot (it was counted when it started)."""
        shown = 0
        while True:
            place = await self._moves.start(
                generation.id, generation.owner_id, self._config.user_concurrency
            )
            if place <= 0:  # started (or refused: it ended meanwhile; its run sees that)
                return
            if place != shown:
                position(place)
                shown = place
            await asyncio.sleep(MEMBER_SLOT_POLL)

    async def run(self, generation_id: int) -> None:
        """Drive one generation to a final state (`bot.pipeline.run.story`)."""
        await self._story.run(generation_id)

    async def _never_shown(self, generation: Generation) -> None:
        await self._endings.end(generation, NOT_SHOWN, refund=True, who=Who.BOT)
