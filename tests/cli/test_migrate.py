"""`python -m bot migrate-sqlite-to-postgres`: a SQLite history copied whole into PostgreSQL,
ids kept and sequences moved past them; a database that has rows is refused."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage.db import open_database
from storage.models import ClipStatus, GenerationStatus, NarrationStatus, NewGeneration
from storage.repository import Repository
from tests.cli.conftest import REPO

SNOWFLAKE = 1_180_000_000_000_000_000


async def _bot(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _history(path: Path) -> None:
    """Three generations of two members: clips attempted (spend recorded by the trigger),
    posts, narration, a cancel to send again, media removed; one generation deleted (a gap)."""
    async with open_database(path) as db:
        repo = Repository(db)
        ids = []
        for n in range(3):
            new = NewGeneration(
                owner_id=SNOWFLAKE + n % 2,
                prompt=f"film {n}",
                guild_id=SNOWFLAKE + 10,
                channel_id=SNOWFLAKE + 11,
                narration=n == 0,
                voice="coral" if n == 0 else None,
            )
            generation = await repo.create_generation(new)
            ids.append(generation.id)
            clips = await repo.set_shot_list(
                generation.id, title=f"F{n}", shot_list="{}", scenes=[("a", 5), ("b", 4)]
            )
            await repo.set_message(
                generation.id,
                guild_id=SNOWFLAKE + 10,
                channel_id=SNOWFLAKE + 11,
                message_id=SNOWFLAKE + 100 + n,
            )
            await repo.clip_creating(clips[0].id)
            await repo.clip_started(clips[0].id, f"pred-{n}")
            await repo.clip_succeeded(
                clips[0].id, output_path=f"/m/{n}.mp4", thumbnail_path=None, predict_seconds=2.5
            )
            await repo.record_post(generation.id, "clip:1", f"message:{n}")
        await repo.add_pending_cancel(
            clips[1].id, prediction_id=None, inputs="{}", create_started_at=1.5, reason="lost"
        )
        await repo.line_spoken(ids[0], 0, "hello", "/a/0.mp3", 1.25)
        await repo.set_narration_status(ids[0], NarrationStatus.NARRATED)
        await repo.set_status(ids[0], GenerationStatus.DONE)
        await repo.record_media_removed(ids[0])
        await repo.set_status(ids[1], GenerationStatus.CANCELLED)
        async with db.transaction() as tx:  # a gap in the ids: they must be kept, not renumbered
            await tx.execute("DELETE FROM generations WHERE id = ?", (ids[1],))


async def test_a_sqlite_history_is_copied_whole(
    base_env: dict[str, str], tmp_path: Path, pg_url: str
) -> None:
    path = tmp_path / "reelbot.sqlite3"
    await _history(path)

    code, out, err = await _bot(
        base_env, "migrate-sqlite-to-postgres", "--sqlite", str(path), "--url", pg_url
    )

    assert code == 0, err
    assert "generations: 2 rows" in out and "clips: 4 rows" in out and "spend: 2 rows" in out
    async with open_database(path) as lite, open_database(pg_url) as pg:
        old, new = Repository(lite), Repository(pg)
        assert await new.history(None) == await old.history(None)
        for entry in await old.history(None):
            assert await new.generation(entry.id) == await old.generation(entry.id)
            assert await new.clips(entry.id) == await old.clips(entry.id)
            assert await new.posts(entry.id) == await old.posts(entry.id)
            assert await new.narration(entry.id) == await old.narration(entry.id)
            assert await new.narration_lines(entry.id) == await old.narration_lines(entry.id)
            assert await new.media_removed_at(entry.id) == await old.media_removed_at(entry.id)
        for owner in (SNOWFLAKE, SNOWFLAKE + 1):
            assert await new.usage_since(owner, 0.0) == await old.usage_since(owner, 0.0)
        assert await new.pending_cancels() == await old.pending_cancels()

        # the sequences moved past the copied ids: new rows take fresh ones
        latest = max(e.id for e in await old.history(None))
        created = await new.create_generation(NewGeneration(owner_id=1, prompt="after"))
        assert created.id > latest
        clips = await new.set_shot_list(created.id, title="A", shot_list="{}", scenes=[("a", 5)])
        assert clips[0].status is ClipStatus.PENDING
        old_clips = [c.id for e in await old.history(None) for c in await old.clips(e.id)]
        assert clips[0].id > max(old_clips)

    # a database that has rows is refused, and nothing is copied twice
    code, out, err = await _bot(
        base_env, "migrate-sqlite-to-postgres", "--sqlite", str(path), "--url", pg_url
    )
    assert code == 2
    assert "already has rows in generations" in err
    async with open_database(pg_url) as pg:
        assert len(await Repository(pg).history(None)) == 3


async def test_it_needs_a_postgresql_url_and_a_sqlite_file(
    base_env: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "none.sqlite3"
    code, _, err = await _bot(base_env, "migrate-sqlite-to-postgres", "--sqlite", str(missing))
    assert code == 2 and "DATABASE_URL" in err
    url = "postgresql://postgres@127.0.0.1:1/none"
    code, _, err = await _bot(
        base_env, "migrate-sqlite-to-postgres", "--sqlite", str(missing), "--url", url
    )
    assert code == 2 and "no SQLite database" in err
    assert not missing.exists()  # not created empty


async def test_a_database_that_cannot_be_opened_is_named_without_its_password(
    base_env: dict[str, str],
) -> None:
    url = "postgresql://reel:pg-secret@127.0.0.1:1/reel"  # nothing listens on port 1

    code, out, err = await _bot({**base_env, "DATABASE_URL": url}, "history")

    assert code == 2
    assert "cannot open the PostgreSQL database at 127.0.0.1:1/reel" in err
    assert "pg-secret" not in err + out and "Traceback" not in err
