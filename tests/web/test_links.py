"""The security of the gallery's links and files (bot/gallery): a signature that must match,
a scope that grants one member's gallery or one film and nothing else, an expiry, a new secret
that revokes every link, no path from a request reaching the disk, and no directory listed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import aiohttp
import pytest
import yarl

from bot.gallery.app import CSP
from bot.gallery.links import FilmScope, GalleryLinks, GalleryScope, LinkRefused
from tests.web.site import ALICE, BOB, SECRET, done_film, gallery_site

REFUSED = "This link does not open anything"


async def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(yarl.URL(url, encoded=True), headers=headers, allow_redirects=False) as r,
    ):
        return r.status, dict(r.headers), await r.read()


def flip(token: str, at: int) -> str:
    """`token` with the character at `at` changed (still URL-safe)."""
    c = token[at]
    return token[:at] + ("A" if c != "A" else "B") + token[at + 1 :]


# the tokens themselves ---------------------------------------------------------------------


def test_a_token_grants_its_scope_until_it_expires() -> None:
    links = GalleryLinks(SECRET, base_url="https://films.example.org/", days=7)
    now = 1_800_000_000.0
    scope = links.check(links.gallery_token(ALICE, now=now), now=now + 6.9 * 86400)
    assert scope == GalleryScope(ALICE, int(now + 7 * 86400))
    film = links.check(links.film_token(5, 2, now=now), now=now)
    assert film == FilmScope(5, 2, int(now + 7 * 86400))
    with pytest.raises(LinkRefused, match="expired"):
        links.check(links.gallery_token(ALICE, now=now), now=now + 7 * 86400 + 1)
    assert links.gallery_url(ALICE).startswith("https://films.example.org/g/")
    assert links.download_url(5, 2).endswith("/download")


def test_tampered_other_secret_and_foreign_shapes_are_refused() -> None:
    links = GalleryLinks(SECRET, base_url="https://x.example", days=7)
    token = links.gallery_token(ALICE)
    payload, _, _ = token.rpartition(".")
    for bad in (flip(token, 2), flip(token, len(token) - 3), payload, f"{payload}.", "x" * 40):
        with pytest.raises(LinkRefused):
            links.check(bad)
    rotated = GalleryLinks("another-secret-entirely-long", base_url="https://x.example", days=7)
    with pytest.raises(LinkRefused, match="bad signature"):
        rotated.check(token)
    # shapes this module never signs, signed with the right secret: still nothing granted
    serializer = links._serializer
    for shape in (["g", True, 9e9], ["g", "1", 2**40], ["f", 1, 0, 2**40], {"g": 1}, ["x", 1, 2]):
        with pytest.raises(LinkRefused, match="malformed"):
            links.check(str(serializer.dumps(shape)))


# through HTTP -------------------------------------------------------------------------------


async def test_a_tampered_expired_or_revoked_link_gets_a_plain_403(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        good = site.links.gallery_token(ALICE)
        status, headers, body = await get(f"{site.url}/g/{good}")
        assert status == 200 and b"Lighthouse seal" in body

        expired = site.links.gallery_token(ALICE, now=time.time() - 8 * 86400)
        rotated = GalleryLinks("the-rotated-secret-value-123", base_url=site.url, days=7)
        for token in (
            flip(good, 3),  # the payload changed (another member's id, a later expiry)
            flip(good, len(good) - 2),  # the signature changed
            expired,
            rotated.gallery_token(ALICE),  # signed under another secret: a rotation revoked it
        ):
            status, headers, body = await get(f"{site.url}/g/{token}")
            assert status == 403, token
            assert REFUSED in body.decode() and b"Lighthouse" not in body
            assert headers["Content-Security-Policy"] == CSP
        film = site.links.film_token(site.film_id, now=time.time() - 8 * 86400)
        assert (await get(f"{site.url}/f/{film}/video.mp4"))[0] == 403


async def test_a_link_opens_its_own_scope_only(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        bobs = site.links.gallery_token(BOB)
        status, _, body = await get(f"{site.url}/g/{bobs}")
        assert status == 200 and b"Bob&#39;s secret film" in body and b"Lighthouse" not in body

        # a gallery link is no film link, and a film link no gallery link
        alices_film = site.links.film_token(site.film_id)
        assert (await get(f"{site.url}/g/{alices_film}"))[0] == 403
        for tail in ("", "/video.mp4", "/download", "/poster.jpg"):
            assert (await get(f"{site.url}/f/{bobs}{tail}"))[0] == 403

        # the share page: the film and its title, nothing else of the member
        status, _, body = await get(f"{site.url}/f/{alices_film}")
        page = body.decode()
        assert status == 200 and "Lighthouse seal" in page and "video.mp4" in page
        assert "Lighthouse seal!" not in page  # the prompt stays in the member's gallery
        assert "Bob" not in page and "/g/" not in page
        # a version the film does not have
        assert (await get(f"{site.url}/f/{site.links.film_token(site.film_id, 9)}"))[0] == 404


async def test_the_film_answers_range_requests_with_206_and_the_right_bytes(
    tmp_path: Path,
) -> None:
    async with gallery_site(tmp_path) as site:
        token = site.links.film_token(site.film_id)
        data = site.film.read_bytes()
        status, headers, body = await get(f"{site.url}/f/{token}/video.mp4", Range="bytes=100-299")
        assert status == 206 and body == data[100:300]
        assert headers["Content-Range"] == f"bytes 100-299/{len(data)}"
        assert headers["Content-Type"] == "video/mp4"
        assert headers["Cache-Control"] == "private, max-age=86400"
        assert headers["Accept-Ranges"] == "bytes"
        status, _, body = await get(f"{site.url}/f/{token}/video.mp4", Range="bytes=-50")
        assert status == 206 and body == data[-50:]
        status, headers, body = await get(f"{site.url}/f/{token}/video.mp4")
        assert status == 200 and body == data
        status, headers, body = await get(f"{site.url}/f/{token}/download")
        assert status == 200 and body == data
        assert (
            headers["Content-Disposition"] == f'attachment; filename="reelbot-{site.film_id}.mp4"'
        )


async def test_the_poster_is_made_once(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        url = f"{site.url}/f/{site.links.film_token(site.film_id)}/poster.jpg"
        status, headers, body = await get(url)
        assert status == 200 and headers["Content-Type"] == "image/jpeg"
        assert body[:3] == b"\xff\xd8\xff"  # a JPEG
        poster = site.film.with_name("film.poster.jpg")
        made = poster.stat().st_mtime_ns
        assert (await get(url))[2] == body
        assert poster.stat().st_mtime_ns == made


async def test_no_request_path_reaches_the_disk_and_nothing_is_listed(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        token = site.links.film_token(site.film_id)
        (site.media / "secret.txt").write_text("SECRET-CONTENT")
        for path in (
            "/",
            "/static/",
            "/static",
            "/f/",
            "/g/",
            "/media/",
            f"/{site.film_id}/",
            f"/{site.film_id}/film.mp4",
            "/static/../app.py",
            "/static/%2e%2e/app.py",
            "/static/..%2fapp.py",
            "/static/gallery.css/../../app.py",
            f"/f/{token}/../../../secret.txt",
            f"/f/{token}/%2e%2e/%2e%2e/secret.txt",
            f"/f/{token}/..%2f..%2fsecret.txt",
            f"/f/{token}/film.mp4",
            f"/f/{token}/video.mp4/..%2f..%2f..%2fsecret.txt",
            "/etc/passwd",
            "/..%2f..%2f..%2fetc%2fpasswd",
        ):
            status, headers, body = await get(f"{site.url}{path}")
            assert status in (403, 404), path
            assert b"SECRET-CONTENT" not in body and b"root:" not in body, path
            assert b"Index of" not in body and b"film.mp4" not in body, path
            assert headers["Content-Security-Policy"] == CSP
        assert (await get(f"{site.url}/static/gallery.css"))[0] == 200


async def test_a_stored_path_outside_the_media_folder_is_never_served(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        outside = tmp_path / "outside.mp4"
        outside.write_bytes(b"OUTSIDE" * 100)
        gid, film = await done_film(site.repo, site.media, owner=ALICE, title="Escape")
        film.unlink()
        os.symlink(outside, film)  # a link inside the folder to a file outside it
        await site.repo.set_video(gid, str(film), 1.0)
        token = site.links.film_token(gid)
        status, _, body = await get(f"{site.url}/f/{token}/video.mp4")
        assert status == 404 and b"OUTSIDE" not in body
        await site.repo.set_video(gid, "/etc/passwd", 1.0)
        status, _, body = await get(f"{site.url}/f/{token}/video.mp4")
        assert status == 404 and b"root:" not in body


async def test_a_film_removed_by_retention_says_so(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        await site.repo.record_media_removed(site.film_id)
        token = site.links.film_token(site.film_id)
        for tail in ("", "/video.mp4", "/poster.jpg"):
            status, _, body = await get(f"{site.url}/f/{token}{tail}")
            assert status == 410 and b"This film was removed" in body
        status, _, body = await get(f"{site.url}/g/{site.links.gallery_token(ALICE)}")
        assert status == 200 and b"Removed: films are kept 30 days" in body


async def test_pages_are_paged_and_carry_strict_headers(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        for n in range(12):
            await done_film(site.repo, site.media, owner=ALICE, title=f"Film {n}", seconds=0.5)
        token = site.links.gallery_token(ALICE)
        status, headers, body = await get(f"{site.url}/g/{token}")
        page = body.decode()
        assert status == 200 and "Film 11" in page and "Lighthouse seal" not in page
        assert "Page 1 of 2" in page and "13 films" in page
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
        assert "<script" not in page and "http" not in page.replace(site.url, "")
        status, _, body = await get(f"{site.url}/g/{token}?page=2")
        assert b"Lighthouse seal" in body and b"Film 11" not in body


async def test_links_keep_the_public_address_path_behind_a_proxy(tmp_path: Path) -> None:
    """PUBLIC_BASE_URL=https://host/films: the proxy strips /films; the pages link under it."""
    async with gallery_site(tmp_path, base_path="/films") as site:
        assert site.links.gallery_url(ALICE).startswith(f"{site.url}/films/g/")
        status, _, body = await get(f"{site.url}/g/{site.links.gallery_token(ALICE)}")
        page = body.decode()
        assert status == 200
        assert 'href="/films/static/gallery.css"' in page
        assert 'src="/films/f/' in page and 'src="/f/' not in page


async def test_head_and_an_unsatisfiable_range(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        url = f"{site.url}/f/{site.links.film_token(site.film_id)}/video.mp4"
        size = site.film.stat().st_size
        async with aiohttp.ClientSession() as http:
            async with http.head(url) as response:
                assert response.status == 200
                assert response.headers["Content-Length"] == str(size)
            async with http.get(url, headers={"Range": f"bytes={size + 10}-"}) as response:
                assert response.status == 416


async def test_a_film_on_another_processs_disk_is_listed_but_not_served_here(
    tmp_path: Path,
) -> None:
    """Without a shared media volume the proxy asks the next process on a 404 (docs)."""
    async with gallery_site(tmp_path) as site:
        site.film.unlink()
        status, _, body = await get(f"{site.url}/g/{site.links.gallery_token(ALICE)}")
        assert status == 200 and b"Lighthouse seal" in body and b"video.mp4" in body
        token = site.links.film_token(site.film_id)
        assert (await get(f"{site.url}/f/{token}/video.mp4"))[0] == 404
        assert (await get(f"{site.url}/f/{token}"))[0] == 200


async def test_another_members_id_under_ones_own_signature_is_refused(tmp_path: Path) -> None:
    """Bob edits his gallery link to name Alice: the signature no longer matches."""
    async with gallery_site(tmp_path) as site:
        serializer = site.links._serializer
        bobs = site.links.gallery_token(BOB)
        _, _, signature = bobs.rpartition(".")
        expires = site.links.check(bobs).expires_at
        alices_payload = str(serializer.dumps(["g", ALICE, expires])).rpartition(".")[0]
        forged = f"{alices_payload}.{signature}"
        assert forged != site.links.gallery_token(ALICE)
        status, _, body = await get(f"{site.url}/g/{forged}")
        assert status == 403 and b"Lighthouse" not in body
        # and one film's link does not open another film of the same member
        other, _ = await done_film(site.repo, site.media, owner=ALICE, title="Second")
        film = site.links.film_token(site.film_id)
        _, _, film_signature = film.rpartition(".")
        payload = str(serializer.dumps(["f", other, 1, expires])).rpartition(".")[0]
        assert (await get(f"{site.url}/f/{payload}.{film_signature}/video.mp4"))[0] == 403
