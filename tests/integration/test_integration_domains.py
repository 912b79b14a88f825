"""Integration: `DomainsService` / `AsyncDomainsService` against the mock server."""

from __future__ import annotations

import pytest
from _integration_kit import Api, assert_each_once, covers, ids
from scalekit_grpc.v1.domains import domains_pb2 as dm

from scalekit_grpc.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from scalekit_grpc.options import CreateDomainOptions, DomainType, ListDomainsOptions
from scalekit_grpc.testing import MockScalekitServer

pytestmark = pytest.mark.timeout(30)

ORG = "org_domains_it"


@covers(
    "domains.create_domain",
    "domains.get_domain",
    "domains.list_domains",
    "domains.verify_domain",
    "domains.update_domain",
    "domains.delete_domain",
)
async def test_domain_lifecycle(api: Api) -> None:
    created = (await api.domains.create_domain(ORG, "Lifecycle.Example.com")).domain
    assert created.id.startswith("dom_")
    assert created.domain == "lifecycle.example.com"
    assert created.organization_id == ORG
    assert created.domain_type == dm.ORGANIZATION_DOMAIN
    assert created.verification_status == dm.PENDING
    assert created.txt_record_key == "_scalekit-verification.lifecycle.example.com"

    assert (await api.domains.get_domain(ORG, created.id)).domain == created
    listed = await api.domains.list_domains(ORG)
    assert ids(listed.domains) == [created.id]
    assert listed.page_size == 100  # the Go SDK default, echoed by the server

    assert (await api.domains.verify_domain(ORG, created.id)).verified is True
    verified = (await api.domains.get_domain(ORG, created.id)).domain
    assert verified.verification_status == dm.VERIFIED

    updated = (await api.domains.update_domain(ORG, created.id)).domain
    assert updated.id == created.id
    assert updated.update_time.ToNanoseconds() >= verified.update_time.ToNanoseconds()

    assert await api.domains.delete_domain(ORG, created.id) is None
    with pytest.raises(NotFoundError):
        await api.domains.get_domain(ORG, created.id)
    assert list((await api.domains.list_domains(ORG)).domains) == []
    with pytest.raises(NotFoundError):
        await api.domains.delete_domain(ORG, created.id)


@covers("domains.create_domain")
async def test_duplicate_domain_is_already_exists(api: Api) -> None:
    await api.domains.create_domain(ORG, "dup.example.com")
    with pytest.raises(AlreadyExistsError) as caught:
        await api.domains.create_domain("org_someone_else", "DUP.example.com")
    assert caught.value.code_name == "ALREADY_EXISTS"


@covers("domains.create_domain")
async def test_invalid_domain_name_reports_the_field(api: Api) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await api.domains.create_domain(ORG, "not a domain")
    assert [v.field for v in caught.value.field_violations] == ["domain.domain"]


@covers("domains.get_domain", "domains.verify_domain")
async def test_domains_are_scoped_to_their_organization(
    api: Api, scalekit_server: MockScalekitServer
) -> None:
    seed = scalekit_server.seed()
    assert (
        await api.domains.get_domain(seed.organization_id, seed.domain_id)
    ).domain == seed.domain
    with pytest.raises(NotFoundError):
        await api.domains.get_domain("org_other", seed.domain_id)
    with pytest.raises(NotFoundError):
        await api.domains.verify_domain("org_other", seed.domain_id)


@covers("domains.create_domain", "domains.verify_domain", "domains.get_domain")
async def test_verify_fails_for_an_unverifiable_domain(api: Api) -> None:
    created = (await api.domains.create_domain(ORG, "broken.invalid")).domain
    assert (await api.domains.verify_domain(ORG, created.id)).verified is False
    assert (await api.domains.get_domain(ORG, created.id)).domain.verification_status == dm.FAILED


@covers("domains.create_domain", "domains.list_domains")
async def test_domain_types_and_list_filter(api: Api) -> None:
    org_domain = (await api.domains.create_domain(ORG, "corp.example.com")).domain
    allowed = (
        await api.domains.create_domain(
            ORG,
            "mail.example.com",
            CreateDomainOptions(domain_type="allowed_email_domain"),
        )
    ).domain
    assert allowed.domain_type == dm.ALLOWED_EMAIL_DOMAIN
    assert allowed.verification_status == dm.AUTO_VERIFIED

    only_allowed = await api.domains.list_domains(
        ORG, ListDomainsOptions(domain_type=DomainType.ALLOWED_EMAIL_DOMAIN)
    )
    assert ids(only_allowed.domains) == [allowed.id]
    only_org = await api.domains.list_domains(
        ORG, ListDomainsOptions(domain_type=DomainType.ORGANIZATION_DOMAIN)
    )
    assert ids(only_org.domains) == [org_domain.id]


@covers("domains.create_domain", "domains.list_domains", "domains.iter_domains")
@pytest.mark.parametrize("count", [5, 6])
async def test_iter_domains_walks_every_page_once(api: Api, count: int) -> None:
    created = [
        (await api.domains.create_domain(ORG, f"d{i}.example.com")).domain.id for i in range(count)
    ]
    await api.domains.create_domain("org_not_this_one", "elsewhere.example.com")

    # One page at a time with explicit page numbers.
    second = await api.domains.list_domains(ORG, ListDomainsOptions(page_size=2, page_number=2))
    assert (second.page_size, second.page_number) == (2, 2)
    assert ids(second.domains) == created[2:4]

    pager = api.domains.iter_domains(ORG, ListDomainsOptions(page_size=2))
    seen = ids(await pager.items())
    assert_each_once(seen, created)
    assert seen == created  # stable creation order
    pages = await pager.pages()
    # 5 items: 2+2+1 (short page stops); 6 items: 2+2+2 and an empty page to be sure.
    assert [len(p.domains) for p in pages] == ([2, 2, 1] if count == 5 else [2, 2, 2, 0])
    assert [p.page_number for p in pages] == list(range(1, len(pages) + 1))

    # Starting at a later page.
    later = api.domains.iter_domains(ORG, ListDomainsOptions(page_size=2, page_number=2))
    assert ids(await later.items()) == created[2:]


@covers("domains.create_domain", "domains.list_authorized_domains")
async def test_list_authorized_domains(api: Api) -> None:
    await api.domains.create_domain(ORG, "one.example.com")
    await api.domains.create_domain("org_two", "two.example.com")
    response = await api.domains.list_authorized_domains("https://app.example.com")
    assert list(response.domains) == ["one.example.com", "two.example.com"]
    with_link = await api.domains.list_authorized_domains(
        "https://app.example.com", link_id="lnk_1"
    )
    assert list(with_link.domains) == list(response.domains)


@covers("domains.create_domain", "domains.delete_domain")
async def test_create_domain_on_a_connection(api: Api, scalekit_server: MockScalekitServer) -> None:
    seed = scalekit_server.seed()
    org = seed.organization_id
    created = (
        await api.domains.create_domain(
            org, "login.acme.example.com", CreateDomainOptions(connection_id=seed.connection_id)
        )
    ).domain
    connection = (await api.connections.get_connection(org, seed.connection_id)).connection
    assert [d.id for d in connection.domains] == [seed.domain_id, created.id]

    await api.domains.delete_domain(org, created.id)
    connection = (await api.connections.get_connection(org, seed.connection_id)).connection
    assert [d.id for d in connection.domains] == [seed.domain_id]

    with pytest.raises(NotFoundError):
        await api.domains.create_domain(
            org, "nowhere.example.com", CreateDomainOptions(connection_id="conn_missing")
        )
