"""Small things a new operator meets in the terminal (issue 20 §7): `history` prints no log
lines about the database, `reroll` of a generation that does not exist says so before any
progress, and `generate` without `--out` never replaces an earlier film."""

from __future__ import annotations

from tests.cli.test_cli import IDEA, bot


async def test_history_prints_no_log_lines(env, tmp_path) -> None:
    run = await bot("history", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    # was: two INFO "database: SQLite at ..." lines before it
    assert run.err == "No generations yet.\n"


async def test_reroll_of_a_generation_that_does_not_exist_shows_no_progress(
    env, tmp_path, replicate_fake
) -> None:
    run = await bot("reroll", "99", "1", env=env, cwd=tmp_path)

    assert run.code == 1
    assert run.err.strip() == "There is no generation #99."  # no "queued" panel before it
    assert run.out == ""
    assert replicate_fake.counts["create"] == 0


async def test_generate_without_out_picks_a_new_name_and_says_it(
    env, tmp_path, replicate_fake
) -> None:
    first = await bot("generate", IDEA, "--clips", "1", env=env, cwd=tmp_path)
    assert first.code == 0, first.err
    assert "→ film.mp4" in first.out
    before = (tmp_path / "film.mp4").read_bytes()

    second = await bot("generate", IDEA, "--clips", "1", env=env, cwd=tmp_path)

    assert second.code == 0, second.err
    assert "film.mp4 is already there: this film goes to film-2.mp4" in second.err
    assert "Done: generation #2" in second.out and "→ film-2.mp4" in second.out
    assert (tmp_path / "film.mp4").read_bytes() == before  # the first film is untouched
    assert (tmp_path / "film-2.mp4").stat().st_size > 0
