"""Extend (issue 24): a done film continued by N more scenes, delivered as its next version.

admitted (a run, like a Reroll) → rewriting (the analysis writes the N scenes, seeing the shot
list so far) → rendering (only the new scenes: the first starts from the film's last frame, the
last frame of its last scene; the cast's portraits passed as for every scene) → stitching (the
old clips as stored, then the new ones) → delivering → done | failed | cancelled.

The generation is `rerolling` meanwhile; the version row says how many scenes it adds and keeps
the shot list before it. No scene of the film is rendered again: the new clips are new rows,
made by the same `ClipMaker` as every clip (prediction ids stored at once, re-attached after a
restart). An Extend that fails or is cancelled removes its new scenes: the film stays the
version before. Admission reserves the new scenes' worst case like any run, and refuses an
Extend past `MAX_CLIPS` scenes or the member's limits.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.pipeline.analysis.rewrite import MAX_NOTE_CHARS
from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.director import chain, versions
from bot.pipeline.director.reroll import NOT_DONE
from bot.pipeline.errors import GenerationError, LeaseLost
from bot.pipeline.events import Extended, RerollEnded, RerollStarted
from bot.pipeline.run import steps
from bot.pipeline.run.crew import Crew
from bot.pipeline.run.transitions import Transitions
from bot.pipeline.spend.admission import Refused
from bot.pipeline.text import one_line
from storage.models import Continuity, Generation, GenerationStatus, Version
from storage.models import VersionStatus as V
from storage.tables.version_rows import RerollRefused

log = logging.getLogger(__name__)

DEFAULT_SCENES = 2


class Extends:
    """Admits and drives Extends (the runner's `extend` and its resume call in); holds no state
    of its own between calls: the version rows say where each one is."""

    def __init__(self, crew: Crew, moves: Transitions) -> None:
        self._crew = crew
        self._moves = moves

    async def check(
        self,
        generation_id: int,
        scenes: int,
        note: str | None = None,
        *,
        started_by: int | None = None,
    ) -> str | None:
        """Whether the Extend can be made now: `Refused` says why not (nothing is stored or
        spent). Returns the note as it will be used (one line; None when blank)."""
        generation = await self._crew.repo.generation(generation_id)
        if generation is None:
            raise Refused(f"There is no generation #{generation_id}.")
        self._crew.admission.check_guild(generation.source, generation.guild_id)
        if self._crew.clips is None:
            raise Refused("Video generation is off (ENABLE_VIDEO_GENERATION=false).")
        if generation.status is not GenerationStatus.DONE or not generation.shot_list:
            why = NOT_DONE.get(generation.status, "this film is still being made; wait for it")
            raise Refused(f"Generation #{generation.id} cannot be extended now: {why}.")
        clips = await self._crew.repo.clips(generation_id)
        if scenes < 1:
            raise Refused("An Extend adds at least 1 scene.")
        most = self._crew.admission.max_clips()
        if len(clips) + scenes > most:
            room = most - len(clips)
            raise Refused(
                f"Generation #{generation.id} has {len(clips)} scenes and a film has at most "
                f"{most} (MAX_CLIPS): "
                + (f"it can take {room} more." if room > 0 else "it cannot take more.")
            )
        note = one_line(note or "") or None
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise Refused(f"The note is {len(note)} characters; at most {MAX_NOTE_CHARS}.")
        gone = await asyncio.to_thread(versions.missing, clips)
        if gone:
            listed = ", ".join(str(i + 1) for i in gone)
            raise Refused(
                f"The stored clip of scene(s) {listed} of generation #{generation.id} is gone "
                "(media is kept MEDIA_RETENTION_DAYS days after a film ends), so it cannot be "
                "extended; nothing was spent."
            )
        payer = generation.owner_id if started_by is None else started_by
        usage = await self._crew.repo.usage_since(payer, self._crew.admission.since())
        self._crew.admission.check_usage(usage)
        return note

    async def admit(
        self,
        generation_id: int,
        scenes: int,
        note: str | None,
        *,
        started_by: int | None = None,
        lease: tuple[str, float] | None = None,
    ) -> Version:
        """Check the Extend and store it as the next version, a new run of `started_by`
        (default the owner), the new scenes' worst case reserved, in one transaction."""
        note = await self.check(generation_id, scenes, note, started_by=started_by)
        generation = await self._crew.repo.generation(generation_id)
        assert generation is not None
        try:
            return await self._moves.admit_extend(
                generation_id,
                scenes,
                note=note,
                admit=self._crew.admission.check_usage,
                since=self._crew.admission.since(),
                reserve=self._crew.admission.worst_case(scenes),
                started_by=generation.owner_id if started_by is None else started_by,
                lease=lease,
            )
        except RerollRefused as exc:
            why = exc.reason
            raise Refused(f"Generation #{generation_id} cannot be extended now: {why}.") from None

    def started(self, version: Version) -> None:
        assert version.scene is not None
        self._crew.bus.publish(RerollStarted(version.generation_id, version.number, version.scene))

    # the story ---------------------------------------------------------------------------

    async def run(self, generation_id: int) -> None:
        """Drive the generation's Extend to a final state (from wherever a restart left it)."""
        version = await self._crew.repo.reroll_in_progress(generation_id)
        generation = await self._crew.repo.generation(generation_id)
        if version is None or generation is None or version.scene is None:
            return
        self.started(version)
        try:
            shot_list = await self._write(generation, version)
            film = await self._cut(generation, version, shot_list)
            await self._deliver(generation, version, film)
            if await self._moves.reroll_delivered(version):
                number, scene = version.number, version.scene
                self._crew.bus.publish(
                    RerollEnded(generation_id, number, scene, None, number, number)
                )
        except steps.Ended:
            log.info("the Extend of generation %s ended elsewhere", generation_id)
        except LeaseLost:
            log.warning("the Extend of generation %s: lease lost", generation_id)
        except GenerationError as exc:
            await self.end(version, V.FAILED, exc.reason)
        except Exception:
            log.exception("the Extend of generation %s failed unexpectedly", generation_id)
            await self.end(version, V.FAILED, steps.UNEXPECTED)

    async def _advance(self, version: Version, status: V) -> None:
        if not await self._moves.advance_version(version.id, status):
            raise steps.Ended

    async def _write(self, generation: Generation, version: Version) -> ShotList:
        """The new scenes, written by the analysis (once: stored with their clips)."""
        assert version.scene is not None
        shot_list = ShotList.model_validate_json(generation.shot_list or "")
        if len(shot_list.scenes) > version.scene:  # written before a restart
            return shot_list
        await self._advance(version, V.REWRITING)
        scenes = await self._crew.analyst.continue_film(
            generation.prompt, shot_list, version.added, version.note
        )
        longer = shot_list.model_copy(update={"scenes": [*shot_list.scenes, *scenes]})
        assert self._crew.clips is not None
        await self._crew.repo.add_extension(
            version,
            longer.model_dump_json(),
            [(s.prompt, self._crew.admission.clip_seconds(s.duration)) for s in scenes],
            # the first new scene opens on the film's last frame, on a model that takes one
            chained_first=self._crew.clips.model.start_image is not None,
        )
        log.info(
            "generation %s: %s scene(s) written for v%s", generation.id, len(scenes), version.number
        )
        prompts = tuple(s.prompt for s in longer.scenes)
        self._crew.bus.publish(Extended(generation.id, version.number, prompts))
        return longer

    async def _cut(self, generation: Generation, version: Version, shot_list: ShotList) -> Path:
        """The new scenes rendered (the first from the film's last frame), then the new cut
        stitched from every stored clip, the old ones as they were."""
        assert self._crew.clips is not None and version.scene is not None
        await self._advance(version, V.RENDERING)
        fresh = await self._crew.repo.generation(generation.id) or generation
        new = [c for c in await self._crew.repo.clips(generation.id) if c.index >= version.scene]
        make = self._crew.clips.make
        # the first new scene waits for nothing (the film's last clip is on disk); the others
        # render alongside it, or after it in a chained film
        if fresh.continuity is Continuity.CHAINED:
            await chain.in_order(lambda c: make(fresh, c, shot_list.style), new)
        else:
            await versions.render(self._crew, fresh, new, shot_list.style)
        await self._advance(version, V.STITCHING)
        return await versions.cut(self._crew, fresh, version)

    async def _deliver(self, generation: Generation, version: Version, film: Path) -> None:
        await self._advance(version, V.DELIVERING)
        await versions.deliver(self._crew, generation, version, film)

    async def end(self, version: Version, status: V, reason: str | None) -> bool:
        """End the Extend failed or cancelled: its new scenes removed, the film the version
        before. False when it had ended already."""
        if not await self._moves.extend_ended(version, status, reason):
            return False
        made = await self._crew.repo.versions(version.generation_id)
        shown = max((v.number for v in made if v.status is V.DONE), default=1)
        why = reason or str(status)
        log.warning(
            "the Extend v%s of generation %s ended: %s", version.number, version.generation_id, why
        )
        generation = await self._crew.repo.generation(version.generation_id)
        if generation is not None:  # the reply shows the old scenes again
            prompts = tuple(c.prompt for c in await self._crew.repo.clips(generation.id))
            self._crew.bus.publish(Extended(generation.id, version.number, prompts))
        scene = version.scene or 0
        self._crew.bus.publish(
            RerollEnded(version.generation_id, version.number, scene, why, shown, 1)
        )
        return True
