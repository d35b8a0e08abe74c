"""The gallery's links in the DM (issue 23): a film shrunk for Discord's limit comes with a
"full quality" link to the film as it was made, and every film with a share link."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.harness import world
from tests.e2e.test_gallery_process import SECRET, gallery_settings
from tests.e2e.test_generate import IDEA, _noisy_clip
from tests.fakes import _common
from tests.web.site import free_port


async def test_a_shrunk_film_links_to_its_full_quality_and_a_share_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_common, "_CLIP_BYTES", {})
    monkeypatch.setattr(_common, "_render_clip", lambda key: _noisy_clip(key, tmp_path))
    limit = 100_000
    port = free_port()
    async with world(tmp_path / "data", max_upload_bytes=limit, **gallery_settings(port)) as w:
        w.discord.upload_limit = limit
        reply = await w.generate(IDEA, clips=2)
        assert (await w.wait_final(reply, timeout=30)).startswith("✅")
        (dm,) = w.discord.dm_messages("alice")
        assert dm.attachments[0].size <= limit
        full = re.search(r"Full quality: <(http://127\.0\.0\.1:\d+/f/[^/>]+/download)>", dm.content)
        share = re.search(r"Share: <(http://127\.0\.0\.1:\d+/f/[^/>]+)>", dm.content)
        assert full is not None and share is not None, dm.content
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.video_path is not None
        film = Path(generation.video_path).read_bytes()
        assert len(film) > limit
        async with aiohttp.ClientSession() as http:
            async with http.get(full[1]) as response:
                assert response.status == 200
                assert await response.read() == film  # the film as made, not the shrunk copy
            async with http.get(share[1]) as response:
                assert response.status == 200 and "video.mp4" in await response.text()
        assert SECRET not in dm.content
