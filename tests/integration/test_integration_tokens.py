"""Integration: `TokensService` / `AsyncTokensService` against the mock server."""

from __future__ import annotations

import time

import pytest
from _integration_kit import Api, assert_each_once, covers, utc

from scalekit_grpc.errors import (
    InvalidArgumentError,
    NotFoundError,
    TokenValidationFailedError,
)
from scalekit_grpc.options import CreateTokenOptions, ListTokensOptions, UpdateTokenOptions
from scalekit_grpc.testing import MockScalekitServer

pytestmark = pytest.mark.timeout(30)

ORG = "org_tokens_it"


@covers(
    "tokens.create_token",
    "tokens.validate_token",
    "tokens.fetch_token",
    "tokens.list_tokens",
    "tokens.update_token",
    "tokens.invalidate_token",
)
async def test_token_lifecycle(api: Api) -> None:
    expiry = utc(time.time() + 3600).replace(microsecond=0)
    created = await api.tokens.create_token(
        ORG,
        CreateTokenOptions(
            description="ci token",
            custom_claims={"team": "core", "env": "test"},
            expiry=expiry,
            user_id="usr_it_1",
        ),
    )
    assert created.token.startswith("skt_")
    assert created.token_id.startswith("apit_")
    info = created.token_info
    assert (info.token_id, info.organization_id, info.user_id) == (
        created.token_id,
        ORG,
        "usr_it_1",
    )
    assert info.description == "ci token"
    assert dict(info.custom_claims) == {"team": "core", "env": "test"}
    assert info.expiry.ToDatetime(tzinfo=expiry.tzinfo) == expiry
    assert info.token_suffix == created.token[-4:]

    validated = (await api.tokens.validate_token(created.token)).token_info
    assert validated == info
    # The apit_ id validates too.
    assert (await api.tokens.validate_token(created.token_id)).token_info == info

    fetched = await api.tokens.fetch_token(created.token_id)
    assert fetched.token == created.token
    assert fetched.token_info == info

    listed = await api.tokens.list_tokens(ORG)
    assert [t.token_id for t in listed.tokens] == [created.token_id]
    assert listed.total_count == 1

    # Claims are replaced (not merged); description=None leaves it unchanged.
    updated = await api.tokens.update_token(
        created.token, UpdateTokenOptions(custom_claims={"team": "platform"})
    )
    assert dict(updated.token_info.custom_claims) == {"team": "platform"}
    assert updated.token_info.description == "ci token"
    # description="" clears it; custom_claims=None leaves the claims unchanged.
    cleared = await api.tokens.update_token(created.token, UpdateTokenOptions(description=""))
    assert not cleared.token_info.HasField("description")
    assert dict(cleared.token_info.custom_claims) == {"team": "platform"}
    after = (await api.tokens.validate_token(created.token)).token_info
    assert dict(after.custom_claims) == {"team": "platform"}
    assert not after.HasField("description")

    assert await api.tokens.invalidate_token(created.token) is None
    with pytest.raises(TokenValidationFailedError) as caught:
        await api.tokens.validate_token(created.token)
    assert isinstance(caught.value.__cause__, NotFoundError)
    # Idempotent from the caller's view: again, and for an unknown token.
    await api.tokens.invalidate_token(created.token)
    await api.tokens.invalidate_token("skt_never_issued")
    assert list((await api.tokens.list_tokens(ORG)).tokens) == []
    with pytest.raises(NotFoundError):
        await api.tokens.fetch_token(created.token_id)
    with pytest.raises(NotFoundError):
        await api.tokens.update_token(created.token, UpdateTokenOptions(description="x"))


@covers("tokens.validate_token")
async def test_unknown_token_fails_validation(api: Api) -> None:
    with pytest.raises(TokenValidationFailedError):
        await api.tokens.validate_token("skt_not_a_real_token")


@covers("tokens.create_token", "tokens.list_tokens")
async def test_user_token_carries_the_users_email(
    api: Api, scalekit_server: MockScalekitServer
) -> None:
    seed = scalekit_server.seed()
    org = seed.organization_id
    created = await api.tokens.create_token(org, CreateTokenOptions(user_id=seed.user_id))
    assert (created.token_info.user_id, created.token_info.email) == (seed.user_id, seed.user_email)
    for_user = await api.tokens.list_tokens(org, ListTokensOptions(user_id=seed.user_id))
    assert [t.token_id for t in for_user.tokens] == [created.token_id]
    everyone = await api.tokens.list_tokens(org)
    assert [t.token_id for t in everyone.tokens] == [seed.api_token_id, created.token_id]


@covers("tokens.validate_token", "tokens.invalidate_token")
async def test_seeded_token_validates_until_invalidated(
    api: Api, scalekit_server: MockScalekitServer
) -> None:
    seed = scalekit_server.seed()
    info = (await api.tokens.validate_token(seed.api_token)).token_info
    assert info.organization_id == seed.organization_id
    assert info.token_id == seed.api_token_id
    assert dict(info.custom_claims) == {"env": "test"}
    await api.tokens.invalidate_token(seed.api_token_id)  # by id
    with pytest.raises(TokenValidationFailedError):
        await api.tokens.validate_token(seed.api_token)


@covers("tokens.create_token", "tokens.update_token")
async def test_empty_claim_values_are_invalid_argument(api: Api) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await api.tokens.create_token(ORG, CreateTokenOptions(custom_claims={"team": ""}))
    assert [v.field for v in caught.value.field_violations] == ["token.custom_claims['team']"]

    token = (await api.tokens.create_token(ORG)).token
    with pytest.raises(InvalidArgumentError) as caught:
        await api.tokens.update_token(token, UpdateTokenOptions(custom_claims={"k": ""}))
    assert caught.value.field_violations


@covers("tokens.create_token")
async def test_expiry_in_the_past_is_invalid_argument(api: Api) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await api.tokens.create_token(ORG, CreateTokenOptions(expiry=utc(time.time() - 60)))
    assert [v.field for v in caught.value.field_violations] == ["token.expiry"]


@covers("tokens.create_token", "tokens.list_tokens", "tokens.iter_tokens")
async def test_iter_tokens_walks_every_page_once(api: Api) -> None:
    org_wide = [(await api.tokens.create_token(ORG)).token_id for _ in range(4)]
    user_tokens = [
        (await api.tokens.create_token(ORG, CreateTokenOptions(user_id="usr_pager"))).token_id
        for _ in range(3)
    ]
    await api.tokens.create_token("org_other_tokens")
    every = org_wide + user_tokens

    first = await api.tokens.list_tokens(ORG, ListTokensOptions(page_size=3))
    assert [t.token_id for t in first.tokens] == every[:3]
    assert first.total_count == 7
    assert first.next_page_token
    second = await api.tokens.list_tokens(
        ORG, ListTokensOptions(page_size=3, page_token=first.next_page_token)
    )
    assert [t.token_id for t in second.tokens] == every[3:6]

    pager = api.tokens.iter_tokens(ORG, ListTokensOptions(page_size=3))
    seen = [t.token_id for t in await pager.items()]
    assert_each_once(seen, every)
    pages = await pager.pages()
    assert [len(p.tokens) for p in pages] == [3, 3, 1]
    assert pages[-1].next_page_token == ""

    only_user = api.tokens.iter_tokens(ORG, ListTokensOptions(user_id="usr_pager", page_size=2))
    assert [t.token_id for t in await only_user.items()] == user_tokens
