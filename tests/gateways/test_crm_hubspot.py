"""The HubSpot gateway against a HubSpot stand-in on loopback: endpoints, bodies, retries."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr

from cam.core.ports import CrmLead, CrmSyncError, GatewayError
from cam.gateways.http_client import RetryPolicy
from cam.gateways.hubspot import HubSpotCrm
from tests.gateways.crm_server import TOKEN, FakeCrm, running_fake_crm

FAST = RetryPolicy(attempts=4, backoff=0.01, max_wait=5.0)


LEAD = CrmLead(
    email="ada@analytical.example",
    first_name="Ada",
    last_name="Lovelace",
    company="Analytical Engines",
    title="Head of Sales",
    score=82,
    score_reasons=("title: head of", "company domain"),
    reply_subject="Re: engines",
    reply_text="Sounds great <b>call</b> me\nTuesday?",
)


def lead(**overrides: Any) -> CrmLead:
    return replace(LEAD, **overrides)


@pytest.fixture
def crm_server():
    yield from running_fake_crm()


def hubspot(server: FakeCrm, **kwargs) -> HubSpotCrm:
    return HubSpotCrm(
        token=SecretStr(TOKEN),
        base_url=server.url,
        pipeline="sales-2",
        stage="qualifiedtobuy",
        retry=kwargs.pop("retry", FAST),
        **kwargs,
    )


def routes(server: FakeCrm) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


def test_new_lead_creates_contact_deal_association_and_note(crm_server):
    refs = hubspot(crm_server).sync(lead())

    contact_id, deal_id = refs.contact_id, refs.deal_id
    assert routes(crm_server) == [
        "POST /crm/v3/objects/contacts",
        "POST /crm/v3/objects/deals",
        f"PUT /crm/v4/objects/deals/{deal_id}/associations/default/contacts/{contact_id}",
        "POST /crm/v3/objects/notes",
    ]
    contact, deal, _, note = crm_server.requests
    assert contact.json == {
        "properties": {
            "email": "ada@analytical.example",
            "firstname": "Ada",
            "lastname": "Lovelace",
            "company": "Analytical Engines",
            "jobtitle": "Head of Sales",
        }
    }
    assert deal.json == {
        "properties": {
            "dealname": "Analytical Engines - Ada Lovelace",
            "pipeline": "sales-2",
            "dealstage": "qualifiedtobuy",
        }
    }
    body = note.json
    assert body["properties"]["hs_note_body"] == (
        "Reply: Re: engines<br><br>Sounds great &lt;b&gt;call&lt;/b&gt; me<br>Tuesday?<br><br>"
        "Score 82: title: head of, company domain"
    )
    assert body["properties"]["hs_timestamp"].endswith("Z")
    assert body["associations"] == [
        {
            "to": {"id": contact_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
        },
        {
            "to": {"id": deal_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 214}],
        },
    ]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in crm_server.requests)
    assert crm_server.associations == {(deal_id, contact_id)}
    assert list(crm_server.contacts) == [contact_id]


def test_existing_contact_is_updated_by_email_not_duplicated(crm_server):
    crm_server.contacts["77"] = {"email": "ada@analytical.example", "phone": "+44 1"}

    refs = hubspot(crm_server).sync(lead())

    assert refs.contact_id == "77"
    assert routes(crm_server)[:2] == [
        "POST /crm/v3/objects/contacts",
        "PATCH /crm/v3/objects/contacts/ada%40analytical.example",
    ]
    assert crm_server.requests[1].query == {"idProperty": "email"}
    assert list(crm_server.contacts) == ["77"]
    assert crm_server.contacts["77"]["phone"] == "+44 1"
    assert crm_server.contacts["77"]["jobtitle"] == "Head of Sales"


def test_stored_ids_are_reused_and_no_second_deal(crm_server):
    first = hubspot(crm_server).sync(lead())
    crm_server.requests.clear()

    again = hubspot(crm_server).sync(
        lead(contact_id=first.contact_id, deal_id=first.deal_id, reply_text="", reply_subject="")
    )

    assert again == first
    assert routes(crm_server) == [
        f"PATCH /crm/v3/objects/contacts/{first.contact_id}",
        f"PUT /crm/v4/objects/deals/{first.deal_id}/associations/default/contacts/"
        f"{first.contact_id}",
    ]
    assert len(crm_server.deals) == 1
    assert len(crm_server.contacts) == 1


def test_a_contact_deleted_in_hubspot_is_created_again(crm_server):
    refs = hubspot(crm_server).sync(lead(contact_id="999", reply_text="", reply_subject=""))

    assert refs.contact_id != "999"
    assert routes(crm_server)[:2] == [
        "PATCH /crm/v3/objects/contacts/999",
        "POST /crm/v3/objects/contacts",
    ]


def test_429_waits_for_retry_after(crm_server):
    crm_server.fail("POST /crm/v3/objects/contacts", 429, retry_after="1")
    waits: list[tuple[float, int]] = []

    def sleep(seconds: float) -> None:
        waits.append((seconds, len(crm_server.of("POST", "/crm/v3/objects/contacts"))))

    refs = hubspot(crm_server, sleep=sleep).sync(lead())

    posts = crm_server.of("POST", "/crm/v3/objects/contacts")
    assert len(posts) == 2
    assert waits == [(1.0, 1)]  # between the two posts, the second HubSpot asked for
    assert list(crm_server.contacts) == [refs.contact_id]


def test_429_forever_gives_up_after_bounded_retries(crm_server):
    waits: list[float] = []
    crm_server.fail("POST /crm/v3/objects/contacts", 429, times=10, retry_after="3600")

    with pytest.raises(CrmSyncError) as raised:
        hubspot(crm_server, sleep=waits.append).sync(lead())

    assert waits == [5.0, 5.0, 5.0]  # Retry-After honoured, bounded by max_wait
    assert len(crm_server.of("POST", "/crm/v3/objects/contacts")) == 4
    assert "429" in str(raised.value)


def test_500_is_retried_with_backoff_then_succeeds(crm_server):
    waits: list[float] = []
    crm_server.fail("POST /crm/v3/objects/deals", 503, times=2)

    refs = hubspot(crm_server, sleep=waits.append).sync(lead())

    assert waits == [0.01, 0.02]
    assert len(crm_server.of("POST", "/crm/v3/objects/deals")) == 3
    assert list(crm_server.deals) == [refs.deal_id]


def test_a_dropped_connection_is_retried(crm_server):
    crm_server.fail("POST /crm/v3/objects/contacts", 0)

    refs = hubspot(crm_server).sync(lead())

    assert len(crm_server.of("POST", "/crm/v3/objects/contacts")) == 2
    assert list(crm_server.contacts) == [refs.contact_id]


def test_500_forever_raises_with_partial_ids_then_a_retry_adds_no_duplicate(crm_server):
    crm_server.fail("POST /crm/v3/objects/notes", 500, times=4)
    gateway = hubspot(crm_server)

    with pytest.raises(CrmSyncError) as raised:
        gateway.sync(lead())

    error = raised.value
    assert len(crm_server.of("POST", "/crm/v3/objects/notes")) == 4
    assert "500" in str(error) and "/crm/v3/objects/notes" in str(error)
    assert error.refs.contact_id in crm_server.contacts
    assert error.refs.deal_id in crm_server.deals
    assert crm_server.notes == {}

    refs = gateway.sync(lead(contact_id=error.refs.contact_id, deal_id=error.refs.deal_id))

    assert refs == error.refs
    assert len(crm_server.contacts) == 1
    assert len(crm_server.deals) == 1
    assert len(crm_server.notes) == 1


def test_errors_never_show_the_token(crm_server):
    wrong = HubSpotCrm(token=SecretStr("pat-secret-value-123"), base_url=crm_server.url, retry=FAST)

    with pytest.raises(GatewayError) as raised:
        wrong.sync(lead())

    assert "401" in str(raised.value)
    assert "pat-secret-value-123" not in str(raised.value)
    assert "pat-secret-value-123" not in repr(raised.value.__dict__)


def test_unreachable_hubspot_is_a_gateway_error():
    server = FakeCrm().start()
    url = server.url
    server.stop()
    waits: list[float] = []

    with pytest.raises(GatewayError) as raised:
        HubSpotCrm(token=SecretStr(TOKEN), base_url=url, retry=FAST, sleep=waits.append).sync(
            lead()
        )

    assert "unreachable" in str(raised.value)
    assert len(waits) == 3
