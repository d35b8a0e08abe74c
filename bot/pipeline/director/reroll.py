"""Reroll: one scene of a done film made again, and the next version of the film delivered.

admitted (a run, like a Retry) → rewriting (only with a note) → rendering → stitching →
delivering → done | failed | cancelled. The generation is `rerolling` meanwhile; its scene's
clip row holds the new take (a new seed, the rewritten prompt), made by the same `ClipMaker` as
every clip — its prediction id stored the moment it exists, re-attached after a restart, its
one create the run's spend. The new cut is stitched from the stored clips of the other scenes
(nothing else is rendered) and delivered once, as version N (`versions` rows). A reroll that
fails or is cancelled puts the scene's earlier take back: the film stays the version before.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

from bot.pipeline.analysis.rewrite import MAX_NOTE_CHARS
from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.director import versions
from bot.pipeline.errors import GenerationError, LeaseLost
from bot.pipeline.events import RerollEnded, RerollStarted
from bot.pipeline.run import steps
from bot.pipeline.run.crew import Crew
from bot.pipeline.run.transitions import Transitions
from bot.pipeline.run.validation import MAX_SEED
from bot.pipeline.spend.admission import Refused
from bot.pipeline.text import one_line
from storage.models import Clip, Generation, GenerationStatus, Version, VersionStatus
from storage.tables.version_rows import RerollRefused

log = logging.getLogger(__name__)

NOT_DONE = {
    GenerationStatus.REROLLING: "a scene of this film is being rerolled already; wait for it",
    GenerationStatus.FAILED: "this generation failed: press Retry first, then reroll a scene",
    GenerationStatus.CANCELLED: "this generation was cancelled: press Retry first",
}


class Rerolls:
    """Admits and drives rerolls (the runner's `reroll` and its resume call in); holds no
    state of its own between calls: the version rows say where each reroll is."""

    def __init__(self, crew: Crew, moves: Transitions) -> None:
        self._crew = crew
        self._moves = moves

    # admission ---------------------------------------------------------------------------

    async def check(
        self,
        generation_id: int,
        scene: int,
        note: str | None = None,
        *,
        started_by: int | None = None,
    ) -> str | None:
        """Whether the reroll can be made now: `Refused` says why not (privately; nothing is
        stored or spent). Returns the note as it will be used (one line; None when blank)."""
        generation = await self._crew.repo.generation(generation_id)
        if generation is None:
            raise Refused(f"There is no generation #{generation_id}.")
        self._crew.admission.check_guild(generation.source, generation.guild_id)
        if self._crew.clips is None:
            raise Refused("Video generation is off (ENABLE_VIDEO_GENERATION=false).")
        if generation.status is not GenerationStatus.DONE:
            why = NOT_DONE.get(generation.status, "this film is still being made; wait for it")
            raise Refused(f"Generation #{generation.id} cannot be rerolled now: {why}.")
        clips = await self._crew.repo.clips(generation_id)
        if not 0 <= scene < len(clips):
            raise Refused(f"Generation #{generation.id} has scenes 1 to {len(clips)}.")
        note = one_line(note or "") or None
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise Refused(f"The note is {len(note)} characters; at most {MAX_NOTE_CHARS}.")
        gone = await asyncio.to_thread(versions.missing, [c for c in clips if c.index != scene])
        if gone:
            listed = ", ".join(str(i + 1) for i in gone)
            raise Refused(
                f"The stored clip of scene(s) {listed} of generation #{generation.id} is gone "
                "(media is kept MEDIA_RETENTION_DAYS days after a film ends), so a new cut "
                "cannot be made; nothing was spent."
            )
        since = self._crew.admission.since()
        payer = generation.owner_id if started_by is None else started_by
        self._crew.admission.check_usage(await self._crew.repo.usage_since(payer, since))
        return note

    async def admit(
        self,
        generation_id: int,
        scene: int,
        note: str | None,
        *,
        started_by: int | None = None,
        lease: tuple[str, float] | None = None,
    ) -> Version:
        """Check the reroll (`check`) and store it as the next version, a new run of the
        member who asked (`started_by`, default the owner): their usage read and checked
        again, the take's seconds reserved and the lease taken, in the same transaction."""
        note = await self.check(generation_id, scene, note, started_by=started_by)
        clips = await self._crew.repo.clips(generation_id)
        generation = await self._crew.repo.generation(generation_id)
        assert generation is not None
        try:
            return await self._moves.admit_reroll(
                generation_id,
                scene,
                note=note,
                seed=secrets.randbelow(MAX_SEED + 1),
                admit=self._crew.admission.check_usage,
                since=self._crew.admission.since(),
                reserve=float(clips[scene].duration),
                started_by=generation.owner_id if started_by is None else started_by,
                lease=lease,
            )
        except RerollRefused as exc:
            why = exc.reason
            raise Refused(f"Generation #{generation_id} cannot be rerolled now: {why}.") from None

    def started(self, version: Version) -> None:
        assert version.scene is not None
        self._crew.bus.publish(RerollStarted(version.generation_id, version.number, version.scene))

    # the story ---------------------------------------------------------------------------

    async def run(self, generation_id: int) -> None:
        """Drive the generation's reroll to a final state (from wherever a restart left it)."""
        version = await self._crew.repo.reroll_in_progress(generation_id)
        generation = await self._crew.repo.generation(generation_id)
        if version is None or generation is None or version.scene is None:
            return
        self.started(version)
        try:
            shot_list = ShotList.model_validate_json(generation.shot_list or "")
            await self._rewrite(version, shot_list)
            film = await self._cut(generation, version, shot_list.style)
            await self._deliver(generation, version, film)
            if await self._moves.reroll_delivered(version):  # the new take and film are the film's
                number, scene = version.number, version.scene
                self._crew.bus.publish(
                    RerollEnded(generation_id, number, scene, None, number, number)
                )
        except steps.Ended:
            log.info("the reroll of generation %s ended elsewhere", generation_id)
        except LeaseLost:
            log.warning(
                "the reroll of generation %s: lease lost; its holder goes on", generation_id
            )
        except GenerationError as exc:
            await self.end(version, VersionStatus.FAILED, exc.reason)
        except Exception:
            log.exception("the reroll of generation %s failed unexpectedly", generation_id)
            await self.end(version, VersionStatus.FAILED, steps.UNEXPECTED)

    async def _advance(self, version: Version, status: VersionStatus) -> None:
        if not await self._moves.advance_version(version.id, status):
            raise steps.Ended

    async def _rewrite(self, version: Version, shot_list: ShotList) -> None:
        if version.prompt is not None or not version.note:
            return  # no note, or written before a restart
        await self._advance(version, VersionStatus.REWRITING)
        assert version.scene is not None
        clip = await self._clip(version)
        scenes = list(shot_list.scenes)
        # the scene's latest prompt (an earlier reroll may have rewritten it)
        scenes[version.scene] = scenes[version.scene].model_copy(update={"prompt": clip.prompt})
        current = shot_list.model_copy(update={"scenes": scenes})
        prompt = await self._crew.analyst.rewrite_scene(current, version.scene, version.note)
        await self._crew.repo.set_version_prompt(version, prompt)
        number, scene = version.number, version.scene
        self._crew.bus.publish(RerollStarted(version.generation_id, number, scene, prompt))
        log.info(
            "generation %s scene %s rewritten for v%s",
            version.generation_id,
            version.scene + 1,
            version.number,
        )

    async def _clip(self, version: Version) -> Clip:
        clips = await self._crew.repo.clips(version.generation_id)
        return clips[version.scene or 0]

    async def _cut(self, generation: Generation, version: Version, style: str) -> Path:
        """The scene's new take rendered, then the new cut stitched from the stored clips."""
        await self._advance(version, VersionStatus.RENDERING)
        await versions.render(self._crew, generation, [await self._clip(version)], style)
        await self._advance(version, VersionStatus.STITCHING)
        return await versions.cut(self._crew, generation, version)

    async def _deliver(self, generation: Generation, version: Version, film: Path) -> None:
        await self._advance(version, VersionStatus.DELIVERING)
        await versions.deliver(self._crew, generation, version, film)

    async def end(self, version: Version, status: VersionStatus, reason: str | None) -> bool:
        """End the reroll failed or cancelled: the scene's earlier take is put back and the
        film stays the version before. False when it had ended already."""
        if not await self._moves.reroll_ended(version, status, reason):
            return False
        assert version.scene is not None
        made = await self._crew.repo.versions(version.generation_id)
        shown = max((v.number for v in made if v.status is VersionStatus.DONE), default=1)
        take = (await self._clip(version)).version
        why = reason or str(status)
        log.warning(
            "the reroll v%s of generation %s ended: %s", version.number, version.generation_id, why
        )
        self._crew.bus.publish(
            RerollEnded(version.generation_id, version.number, version.scene, why, shown, take)
        )
        return True
