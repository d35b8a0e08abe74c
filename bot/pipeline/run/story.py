"""The story of one generation's run, top to bottom: analyse → render (the voice-over spoken
meanwhile) → stitch (→ mix the narration) → deliver → done. Every transition is stored before it
is published; a step already done (shot list stored, clip downloaded, film stitched, delivery
recorded) is skipped, so a resumed generation goes on where it stopped. The runner
(`bot.pipeline.run.runner`) admits, starts, cancels and ends generations; this is what a started
one does. A reroll's story is `bot.pipeline.director.reroll`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.director import chain
from bot.pipeline.director.start_image import data_url
from bot.pipeline.errors import ClipError, GenerationError, LeaseLost
from bot.pipeline.events import (
    AnalysisDone,
    Finished,
    Started,
)
from bot.pipeline.run import steps
from bot.pipeline.run.crew import Crew
from bot.pipeline.run.transitions import Transitions
from storage.models import Continuity, Generation, GenerationStatus, ScoreStatus

log = logging.getLogger(__name__)


class Story:
    """Drives one generation's run to a final state. Holds no state of its own between
    runs: the generation's rows say where it is. A failure is ended by the runner (`fail`)."""

    def __init__(
        self,
        crew: Crew,
        moves: Transitions,
        *,
        video_enabled: bool,
        fail: Callable[[Generation, str], Awaitable[None]],
    ) -> None:
        self._crew = crew
        self._moves = moves
        self._video_enabled = video_enabled
        self._fail = fail

    async def run(self, generation_id: int) -> None:
        """Drive one generation to a final state: every step already done is skipped."""
        generation = await self._crew.repo.generation(generation_id)
        if generation is None or generation.status.final:
            return
        self._crew.bus.publish(Started(generation_id))
        try:
            shot_list = await self._analyse(generation)
            if not self._video_enabled or self._crew.clips is None:
                await self._advance(generation, GenerationStatus.DONE)
                self._crew.bus.publish(Finished(generation_id, None))
                return
            if self._crew.casting is not None:  # issue 24: the portraits, before any clip
                await self._crew.casting.sheet(generation, shot_list)
            clips = await self._render(generation, shot_list)
            film = await self._stitch(generation, clips)
            film = await steps.narrated(self._crew, generation, film, clips)
            await self._deliver(generation, film)
            await self._advance(generation, GenerationStatus.DONE)
            self._crew.bus.publish(Finished(generation_id, film))
        except steps.Ended:
            log.info("generation %s ended elsewhere", generation_id)
        except LeaseLost:
            log.warning("generation %s: lease lost; its new holder goes on", generation_id)
        except GenerationError as exc:
            await self._fail(generation, exc.reason)
        except Exception:
            log.exception("generation %s failed unexpectedly", generation_id)
            await self._fail(generation, steps.UNEXPECTED)

    async def _advance(self, generation: Generation, status: GenerationStatus) -> None:
        if not await self._moves.advance(generation.id, status):
            raise steps.Ended

    async def _analyse(self, generation: Generation) -> ShotList:
        if generation.shot_list:  # resumed: the shot list was written already
            shot_list = ShotList.model_validate_json(generation.shot_list)
        else:
            await self._advance(generation, GenerationStatus.ANALYSING)
            await self._crew.analyst.moderate(generation.prompt)
            narration = self._crew.narrator is not None and await self._crew.narrator.wanted(
                generation.id
            )
            image = None
            if generation.start_image_path:  # the model sees the member's first frame too
                image = await data_url(Path(generation.start_image_path))
            shot_list = await self._crew.analyst.shot_list(
                generation.prompt,
                clips=generation.clips_requested,
                narration=narration,
                image=image,
            )
            await self._crew.repo.set_shot_list(
                generation.id,
                title=shot_list.title,
                shot_list=shot_list.model_dump_json(),
                scenes=[
                    (s.prompt, self._crew.admission.clip_seconds(s.duration))
                    for s in shot_list.scenes
                ],
                also=await self._score_to_make(generation.id),
            )
        chained = await chain.announced(self._crew.repo, generation, len(shot_list.scenes))
        self._crew.bus.publish(AnalysisDone(generation.id, shot_list, chained))
        return shot_list

    async def _score_to_make(self, generation_id: int) -> float:
        """What a score still to be made is worth (its reservation stays with the run)."""
        score = await self._crew.repo.score(generation_id)
        if score is None or score.status is not ScoreStatus.WANTED or score.prediction_id:
            return 0.0
        return self._crew.admission.music_worth()

    async def _render(self, generation: Generation, shot_list: ShotList) -> list[Path]:
        assert self._crew.clips is not None
        await self._advance(generation, GenerationStatus.RENDERING)
        clips = await self._crew.repo.clips(generation.id)
        jobs: list[Awaitable[object]]
        if generation.continuity is Continuity.CHAINED:  # one after another: bot/pipeline/chain
            make = self._crew.clips.make
            jobs = [chain.in_order(lambda c: make(generation, c, shot_list.style), clips)]
        else:
            jobs = [self._crew.clips.make(generation, clip, shot_list.style) for clip in clips]
        if self._crew.narrator is not None:  # the voice-over is spoken while the clips render
            jobs.append(self._crew.narrator.speak(generation, shot_list))  # type: ignore[arg-type]
        results = await steps.all_or_lost(jobs)
        # every clip ended first (the running ones are paid for); then the first failure counts
        failures = [r for r in results if isinstance(r, BaseException)]
        clip_errors = [f for f in failures if isinstance(f, ClipError)]
        if clip_errors or failures:
            raise (clip_errors or failures)[0]
        return [
            p for r in results for p in (r if isinstance(r, list) else [r]) if isinstance(p, Path)
        ]

    async def _stitch(self, generation: Generation, clips: list[Path]) -> Path:
        await self._advance(generation, GenerationStatus.STITCHING)
        fresh = await self._crew.repo.generation(generation.id)
        if fresh and fresh.video_path and Path(fresh.video_path).exists():
            return Path(fresh.video_path)
        seconds = sum(c.predict_seconds for c in await self._crew.repo.clips(generation.id))

        async def record(film: Path) -> None:
            await self._crew.repo.set_video(generation.id, str(film), seconds)

        return await steps.cut(self._crew, generation, clips, "film.mp4", mix=False, record=record)

    async def _deliver(self, generation: Generation, film: Path) -> None:
        await self._advance(generation, GenerationStatus.DELIVERING)
        fresh = await self._crew.repo.generation(generation.id)
        if fresh is not None and fresh.delivered_at is not None:
            return

        async def record(ref: str) -> None:
            await self._crew.repo.record_delivery(generation.id, ref)

        await steps.deliver(self._crew, fresh or generation, film, version=1, record=record)
