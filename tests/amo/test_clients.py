"""Integrations written for amoCRM, run unchanged against a served CRM: two
clients from PyPI that no one here wrote (aioamocrm, amochka), given our base URL
and an API key as a long-lived token. What they write must show on our own
pages."""

from __future__ import annotations

import asyncio
import datetime
import json

import pytest
from aioamocrm import AmoCRMClient as AioClient
from aioamocrm import Contact as AioContact
from aioamocrm import Lead as AioLead
from aioamocrm import LongLivedToken
from amochka import AmoCRMClient as AmochkaClient
from amochka import CacheConfig

from crm.models import Contact, Deal, PipelineStatus, RecordEmail, RecordPhone
from crm.services.apikeys import api_key_create
from tests.crm.helpers import sign_in
from tests.factories import CrmUserFactory, PipelineFactory, PipelineStatusFactory

pytestmark = pytest.mark.django_db(transaction=True)


class LocalAmochka(AmochkaClient):
    """amochka accepts only amoCRM's and Kommo's hosts over HTTPS; a CRM here
    (and the test server) lives elsewhere."""

    @staticmethod
    def _validate_base_url(base_url: str) -> str:
        return base_url.rstrip("/")


@pytest.fixture
def world(crm_a, owner_a):
    pipeline = PipelineFactory(crm=crm_a, name="Sales", position=0)
    new = PipelineStatusFactory(pipeline=pipeline, name="New", position=0)
    talks = PipelineStatusFactory(pipeline=pipeline, name="Talks", position=1)
    won = PipelineStatusFactory(
        pipeline=pipeline, name="Won", kind=PipelineStatus.Kind.WON, position=2
    )
    lost = PipelineStatusFactory(
        pipeline=pipeline, name="Lost", kind=PipelineStatus.Kind.LOST, position=3
    )
    _key, raw = api_key_create(crm=crm_a, name="Telephony", created_by=owner_a)
    reader = CrmUserFactory(crm=crm_a, name="Rita Reader", email="rita@alpha.example")
    return {
        "pipeline": pipeline,
        "new": new,
        "talks": talks,
        "won": won,
        "lost": lost,
        "key": raw,
        "reader": reader,
    }


def _card(client, crm, kind: str, pk: int) -> str:
    response = client.get(f"/c/{crm.slug}/{kind}/{pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_aioamocrm_moves_in(live_server, crm_a, owner_a, world, client):
    since = int(datetime.datetime.now(datetime.UTC).timestamp()) - 3600

    async def scenario() -> dict:
        async with AioClient(
            base_url=live_server.url, auth=LongLivedToken(world["key"]), rate_limit=None
        ) as amo:
            found: dict = {}
            account = await amo.account.get(with_=["task_types", "no_such_option"])
            found["account"] = account
            found["pipelines"] = await amo.pipelines.list()
            found["statuses"] = await amo.pipelines.statuses(world["pipeline"].pk)

            ann = AioContact(name="Ann Example")
            ann.set_field("PHONE", "+380 67 123 45 67", enum_code="MOB")
            ann.set_field("EMAIL", "Ann@Example.com", enum_code="WORK")
            [ann_ref] = await amo.contacts.create([ann])
            found["ann_id"] = ann_ref.id
            found["by_phone"] = await amo.contacts.get_page(query="0671234567")

            lead = AioLead(
                name="Website order",
                price=1500,
                pipeline_id=world["pipeline"].pk,
                status_id=world["talks"].pk,
            )
            [lead_ref] = await amo.leads.create([lead])
            found["lead_id"] = lead_ref.id
            found["links"] = await amo.leads.link(
                lead_ref.id, "contacts", ann_ref.id, metadata={"is_main": True}
            )
            found["lead"] = await amo.leads.get(lead_ref.id, with_=["contacts"])
            await amo.leads.update([AioLead(id=lead_ref.id, status_id=142)])
            found["won_lead"] = await amo.leads.get(lead_ref.id)

            await amo.contacts.create([{"name": f"Visitor {n:02d}"} for n in range(60)])
            pages = []
            page = await amo.contacts.get_page(1, limit=25)
            while True:
                pages.append(page)
                if not page.has_next:
                    break
                page = await amo.contacts.get_page(page.number + 1, limit=25)
            found["pages"] = pages
            found["iterated"] = [c async for c in amo.contacts.iterate(limit=25)]
            found["recent_leads"] = [
                lead
                async for lead in amo.leads.iterate(
                    filter={"updated_at": {"from": since}}
                )
            ]
            found["old_leads"] = await amo.leads.get_page(
                filter={"updated_at": {"to": since}}
            )
            return found

    found = asyncio.run(scenario())

    account = found["account"]
    assert account.id == crm_a.pk
    assert account.subdomain == crm_a.slug
    assert account.current_user_id == owner_a.pk
    assert {t["id"] for t in account.embedded["task_types"]} >= {1, 2}

    [pipeline] = found["pipelines"]
    assert pipeline.id == world["pipeline"].pk
    assert [s.id for s in pipeline.statuses] == [
        world["new"].pk,
        world["talks"].pk,
        142,
        143,
    ]
    assert [s.id for s in found["statuses"]][-2:] == [142, 143]

    ann = Contact.objects.get(pk=found["ann_id"])
    assert ann.crm_id == crm_a.pk
    assert [(p.kind, p.value) for p in RecordPhone.objects.filter(contact=ann)] == [
        ("MOB", "+380 67 123 45 67")
    ]
    assert [(e.kind, e.value) for e in RecordEmail.objects.filter(contact=ann)] == [
        ("WORK", "ann@example.com")
    ]
    [hit] = found["by_phone"].items
    assert hit.id == ann.pk
    assert hit.field_value("PHONE", enum_code="MOB") == "+380 67 123 45 67"
    assert hit.field_value("EMAIL") == "ann@example.com"

    assert [(link.to_entity_type, link.to_entity_id) for link in found["links"]] == [
        ("contacts", ann.pk)
    ]
    lead = found["lead"]
    assert lead.status_id == world["talks"].pk
    assert lead.price == 1500
    assert [(c.id, c.is_main) for c in lead.embedded.contacts] == [(ann.pk, True)]
    assert found["won_lead"].status_id == 142
    deal = Deal.objects.get(pk=found["lead_id"])
    assert deal.status == world["won"]

    pages = found["pages"]
    assert [len(p) for p in pages] == [25, 25, 11]
    assert len({c.id for p in pages for c in p}) == 61
    assert len(found["iterated"]) == 61
    assert [lead.id for lead in found["recent_leads"]] == [deal.pk]
    assert found["old_leads"].items == []

    # What the integration wrote is what a person of the CRM sees.
    sign_in(client, world["reader"])
    card = _card(client, crm_a, "contacts", ann.pk)
    assert "Ann Example" in card
    assert "+380 67 123 45 67" in card
    assert "ann@example.com" in card
    deal_card = _card(client, crm_a, "deals", deal.pk)
    assert "Website order" in deal_card
    assert "Ann Example" in deal_card
    assert "Won" in deal_card


def test_amochka_moves_in(live_server, crm_a, owner_a, world, client):
    token = json.dumps({"access_token": world["key"], "expires_at": "2999-01-01"})
    amo = LocalAmochka(
        live_server.url,
        token_file=token,
        cache_config=CacheConfig.disabled(),
        disable_logging=True,
        rate_limit=1000,
    )

    account = amo.get_account()
    assert account["id"] == crm_a.pk
    assert account["current_user_id"] == owner_a.pk

    [pipeline] = amo.fetch_pipelines()
    statuses = pipeline["_embedded"]["statuses"]
    assert {s["id"] for s in statuses} >= {142, 143, world["new"].pk}

    bob = amo.create_contact(
        {
            "first_name": "Bob",
            "last_name": "Builder",
            "custom_fields_values": [
                {
                    "field_code": "PHONE",
                    "values": [{"value": "067-765-43-21", "enum_code": "WORK"}],
                },
                {
                    "field_code": "EMAIL",
                    "values": [{"value": "bob@example.com", "enum_code": "PRIV"}],
                },
            ],
        }
    )
    found = amo.fetch_contacts(query="+380 (67) 765 43 21")
    assert [c["id"] for c in found] == [bob["id"]]
    assert found[0]["name"] == "Bob Builder"

    lead = amo.create_lead(
        {
            "name": "Call-back",
            "price": 700,
            "pipeline_id": world["pipeline"].pk,
            "status_id": world["new"].pk,
        }
    )
    links = amo.link_entity(
        "lead", lead["id"], bob["id"], "contact", metadata={"is_main": True}
    )
    assert links[0]["to_entity_id"] == bob["id"]
    deal = amo.get_deal_by_id(lead["id"], skip_fields_mapping=True)
    assert [c["id"] for c in deal["_embedded"]["contacts"]] == [bob["id"]]
    assert deal["status_id"] == world["new"].pk

    amo.create_contacts([{"name": f"Lead {n:02d}"} for n in range(60)])
    contacts = list(amo.iter_contacts(limit=25))
    assert len(contacts) == 61
    assert len({c["id"] for c in contacts}) == 61

    hour_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    recent = amo.fetch_leads(updated_from=hour_ago, include_contacts=True)
    assert [d["id"] for d in recent] == [lead["id"]]
    assert amo.fetch_leads(updated_to=hour_ago) == []

    sign_in(client, world["reader"])
    card = _card(client, crm_a, "contacts", bob["id"])
    assert "Bob Builder" in card
    assert "067-765-43-21" in card
    assert "bob@example.com" in card
    assert "Call-back" in _card(client, crm_a, "deals", lead["id"])
