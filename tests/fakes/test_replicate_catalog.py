"""Self-tests of the fake Replicate's account and model endpoints, through ``replicate.Client``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import replicate
from replicate.exceptions import ReplicateError

from tests.fakes.replicate_catalog import ACCOUNT
from tests.fakes.replicate_fake import FakeReplicate


@pytest.fixture
async def fake() -> AsyncIterator[FakeReplicate]:
    async with FakeReplicate(api_token="r8_right") as fake:
        fake.throttle_retry_after = 0
        yield fake


def client(fake: FakeReplicate, token: str = "r8_right") -> replicate.Client:
    return replicate.Client(api_token=token, base_url=fake.base_url)


async def test_the_account_of_the_token(fake) -> None:
    account = await client(fake).accounts.async_current()

    assert (account.type, account.username, account.name) == (
        ACCOUNT["type"],
        ACCOUNT["username"],
        ACCOUNT["name"],
    )
    assert fake.counts["catalog"] == 1 and fake.counts["get"] == 0


async def test_a_model_by_name_and_an_unknown_one(fake) -> None:
    fake.models = {"bytedance/seedance-1-lite"}

    model = await client(fake).models.async_get("bytedance/seedance-1-lite")
    with pytest.raises(ReplicateError) as unknown:
        await client(fake).models.async_get("acme/gone")

    assert (model.owner, model.name, model.visibility) == ("bytedance", "seedance-1-lite", "public")
    assert model.url == "https://replicate.com/bytedance/seedance-1-lite"
    assert (unknown.value.status, unknown.value.title) == (404, "Not found")


async def test_a_wrong_token_is_refused_on_both(fake) -> None:
    wrong = client(fake, "r8_wrong")

    with pytest.raises(ReplicateError) as account:
        await wrong.accounts.async_current()
    with pytest.raises(ReplicateError) as model:
        await wrong.models.async_get("bytedance/seedance-1-lite")

    for exc in (account.value, model.value):
        assert (exc.status, exc.title) == (401, "Unauthenticated")
    assert fake.counts["catalog"] == 0
