"""Recast (issue 24): one character's portrait made again (with an optional note), then every
scene that shows them rendered again with it, the others kept, as the next version of the film.

admitted (a run, like a Reroll) → rewriting (the new portrait: the image model, once) →
rendering (the scenes showing the character, each a new take with a new seed and the new
portrait as its reference) → stitching → delivering → done | failed | cancelled.

One action: the portrait and its scenes are one version, so the film never shows the old face
and the new one side by side. A Recast that fails or is cancelled puts the portrait and every
take back: the film stays the version before.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

from bot.pipeline.analysis.rewrite import MAX_NOTE_CHARS
from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.director import versions
from bot.pipeline.director.cast import PORTRAIT_SECONDS, portraits
from bot.pipeline.director.reroll import NOT_DONE
from bot.pipeline.errors import GenerationError, LeaseLost
from bot.pipeline.events import CastReady, RerollEnded, RerollStarted
from bot.pipeline.run import steps
from bot.pipeline.run.crew import Crew
from bot.pipeline.run.transitions import Transitions
from bot.pipeline.run.validation import MAX_SEED
from bot.pipeline.spend.admission import Refused
from bot.pipeline.text import one_line
from storage.models import Generation, GenerationStatus, MemberStatus, Version
from storage.models import VersionStatus as V
from storage.tables.version_rows import RerollRefused

log = logging.getLogger(__name__)


def showing(shot_list: ShotList, name: str) -> list[int]:
    """The scenes (0-based) that show the character `name`."""
    folded = name.casefold()
    return [
        i for i, s in enumerate(shot_list.scenes) if folded in {n.casefold() for n in s.characters}
    ]


class Recasts:
    """Admits and drives Recasts; holds no state between calls (the version rows do)."""

    def __init__(self, crew: Crew, moves: Transitions) -> None:
        self._crew = crew
        self._moves = moves

    async def check(
        self, generation_id: int, member: int, note: str | None = None, *, started_by: int | None
    ) -> tuple[str | None, list[int]]:
        """Whether the Recast can be made now (`Refused` says why not; nothing is spent).
        Returns the note as it will be used and the scenes it renders again."""
        generation = await self._crew.repo.generation(generation_id)
        if generation is None:
            raise Refused(f"There is no generation #{generation_id}.")
        self._crew.admission.check_guild(generation.source, generation.guild_id)
        if self._crew.clips is None or self._crew.casting is None:
            raise Refused("Video generation is off (ENABLE_VIDEO_GENERATION=false).")
        if generation.status is not GenerationStatus.DONE or not generation.shot_list:
            why = NOT_DONE.get(generation.status, "this film is still being made; wait for it")
            raise Refused(f"Generation #{generation.id} cannot be recast now: {why}.")
        cast = {m.index: m for m in await self._crew.repo.cast_members(generation_id)}
        if member not in cast:
            raise Refused(f"Generation #{generation.id} has no such character.")
        scenes = showing(ShotList.model_validate_json(generation.shot_list), cast[member].name)
        if not scenes:
            raise Refused(f"No scene of generation #{generation.id} shows {cast[member].name}.")
        note = one_line(note or "") or None
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise Refused(f"The note is {len(note)} characters; at most {MAX_NOTE_CHARS}.")
        clips = await self._crew.repo.clips(generation_id)
        gone = await asyncio.to_thread(
            versions.missing, [c for c in clips if c.index not in scenes]
        )
        if gone:
            listed = ", ".join(str(i + 1) for i in gone)
            raise Refused(
                f"The stored clip of scene(s) {listed} of generation #{generation.id} is gone "
                "(MEDIA_RETENTION_DAYS), so a new cut cannot be made; nothing was spent."
            )
        payer = generation.owner_id if started_by is None else started_by
        usage = await self._crew.repo.usage_since(payer, self._crew.admission.since())
        self._crew.admission.check_usage(usage)
        return note, scenes

    async def admit(
        self,
        generation_id: int,
        member: int,
        note: str | None,
        *,
        started_by: int | None = None,
        lease: tuple[str, float] | None = None,
    ) -> Version:
        """Check the Recast and store it as the next version, a new run of `started_by`
        (default the owner): the portrait and its scenes' seconds reserved."""
        note, scenes = await self.check(generation_id, member, note, started_by=started_by)
        generation = await self._crew.repo.generation(generation_id)
        assert generation is not None
        clips = {c.index: c for c in await self._crew.repo.clips(generation_id)}
        reserve = PORTRAIT_SECONDS + float(sum(clips[i].duration for i in scenes))
        try:
            return await self._moves.admit_recast(
                generation_id,
                member,
                scenes,
                note=note,
                seeds=[secrets.randbelow(MAX_SEED + 1) for _ in scenes],
                admit=self._crew.admission.check_usage,
                since=self._crew.admission.since(),
                reserve=reserve,
                started_by=generation.owner_id if started_by is None else started_by,
                lease=lease,
            )
        except RerollRefused as exc:
            why = exc.reason
            raise Refused(f"Generation #{generation_id} cannot be recast now: {why}.") from None

    async def started(self, version: Version) -> None:
        """The reply shows every scene of the Recast being made again, as this version."""
        for clip in await self._crew.repo.clips(version.generation_id):
            if clip.version == version.number:
                self._crew.bus.publish(
                    RerollStarted(version.generation_id, version.number, clip.index)
                )

    # the story ---------------------------------------------------------------------------

    async def run(self, generation_id: int) -> None:
        """Drive the generation's Recast to a final state (from wherever a restart left it)."""
        version = await self._crew.repo.reroll_in_progress(generation_id)
        generation = await self._crew.repo.generation(generation_id)
        if version is None or generation is None or version.recast is None:
            return
        await self.started(version)
        try:
            shot_list = ShotList.model_validate_json(generation.shot_list or "")
            await self._portrait(generation, version, shot_list.style)
            film = await self._cut(generation, version, shot_list.style)
            await self._deliver(generation, version, film)
            if await self._moves.reroll_delivered(version):
                number, scene = version.number, version.scene or 0
                self._crew.bus.publish(
                    RerollEnded(generation_id, number, scene, None, number, number)
                )
        except steps.Ended:
            log.info("the Recast of generation %s ended elsewhere", generation_id)
        except LeaseLost:
            log.warning("the Recast of generation %s: lease lost", generation_id)
        except GenerationError as exc:
            await self.end(version, V.FAILED, exc.reason)
        except Exception:
            log.exception("the Recast of generation %s failed unexpectedly", generation_id)
            await self.end(version, V.FAILED, steps.UNEXPECTED)

    async def _advance(self, version: Version, status: V) -> None:
        if not await self._moves.advance_version(version.id, status):
            raise steps.Ended

    async def _portrait(self, generation: Generation, version: Version, style: str) -> None:
        """The character's new portrait (made once), posted in the thread."""
        assert self._crew.casting is not None
        members = await self._crew.repo.cast_members(generation.id)
        member = next(m for m in members if m.index == version.recast)
        if member.status is MemberStatus.PENDING:
            await self._advance(version, V.REWRITING)
            if member.note and member.prediction_id is None:  # moderated, as a prompt is
                await self._crew.analyst.moderate(member.note)
            await self._crew.casting.portrait(generation, member, style)
            members = await self._crew.repo.cast_members(generation.id)
            member = next(m for m in members if m.index == version.recast)
        if member.status is not MemberStatus.READY:
            raise GenerationError(
                f"the new portrait of {member.name} could not be made: {member.reason}"
            )
        self._crew.bus.publish(CastReady(generation.id, portraits([member])))

    async def _cut(self, generation: Generation, version: Version, style: str) -> Path:
        """The scenes showing the character rendered again, then the new cut stitched."""
        assert self._crew.clips is not None
        await self._advance(version, V.RENDERING)
        fresh = await self._crew.repo.generation(generation.id) or generation
        clips = await self._crew.repo.clips(generation.id)
        again = [c for c in clips if c.version == version.number]
        await versions.render(self._crew, fresh, again, style)
        await self._advance(version, V.STITCHING)
        return await versions.cut(self._crew, fresh, version)

    async def _deliver(self, generation: Generation, version: Version, film: Path) -> None:
        await self._advance(version, V.DELIVERING)
        await versions.deliver(self._crew, generation, version, film)

    async def end(self, version: Version, status: V, reason: str | None) -> bool:
        """End the Recast failed or cancelled: the portrait and takes put back."""
        clips = await self._crew.repo.clips(version.generation_id)
        scenes = [c.index for c in clips if c.version == version.number]
        if not await self._moves.recast_ended(version, status, reason):
            return False
        made = await self._crew.repo.versions(version.generation_id)
        shown = max((v.number for v in made if v.status is V.DONE), default=1)
        why = reason or str(status)
        log.warning(
            "the Recast v%s of generation %s ended: %s", version.number, version.generation_id, why
        )
        fresh = {c.index: c for c in await self._crew.repo.clips(version.generation_id)}
        for scene in scenes:
            take = fresh[scene].version if scene in fresh else 1
            self._crew.bus.publish(
                RerollEnded(version.generation_id, version.number, scene, why, shown, take)
            )
        return True
