"""HubSpot CRM v3: the contact by email, a deal in the team's pipeline, and the reply as a note.

Ids already stored on the lead are reused, so approving again or retrying after a failure never
makes a second contact or deal. A failure part-way raises `CrmSyncError` with what was created.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from urllib.parse import quote

from pydantic import SecretStr

from cam.core.columns import JsonObject
from cam.core.models import utcnow
from cam.core.ports import CrmLead, CrmRefs, CrmSyncError, GatewayError
from cam.core.settings import Settings
from cam.gateways.http_client import HttpResponse, JsonHttpClient, RetryPolicy

CONTACTS = "/crm/v3/objects/contacts"
DEALS = "/crm/v3/objects/deals"
NOTES = "/crm/v3/objects/notes"
# HubSpot-defined association types: note → contact, note → deal.
NOTE_TO_CONTACT = 202
NOTE_TO_DEAL = 214


class HubSpotCrm:
    name = "hubspot"
    configured = True

    def __init__(
        self,
        *,
        token: SecretStr,
        base_url: str = "https://api.hubapi.com",
        pipeline: str = "default",
        stage: str = "appointmentscheduled",
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 15.0,
    ) -> None:
        self.pipeline = pipeline
        self.stage = stage
        self._http = JsonHttpClient(
            "HubSpot",
            base_url,
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
            timeout=timeout,
            retry=retry,
            sleep=sleep,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> HubSpotCrm:
        return cls(
            token=settings.hubspot_token,
            base_url=settings.hubspot_base_url,
            pipeline=settings.hubspot_pipeline,
            stage=settings.hubspot_stage,
        )

    def check(self) -> None:
        """Read one contact: proves the token and its scope without changing anything."""
        self._http.request("GET", "/crm/v3/objects/contacts?limit=1")

    def sync(self, lead: CrmLead) -> CrmRefs:
        """Upsert the contact, create the deal once, associate them, attach the reply."""
        contact_id, deal_id = lead.contact_id, lead.deal_id
        try:
            contact_id = self._upsert_contact(lead)
            if deal_id is None:
                deal_id = self._create_deal(lead)
            self._http.request(
                "PUT", f"/crm/v4/objects/deals/{deal_id}/associations/default/contacts/{contact_id}"
            )
            if lead.reply_subject or lead.reply_text:
                self._add_note(lead, contact_id, deal_id)
        except GatewayError as exc:
            raise CrmSyncError(str(exc), CrmRefs(contact_id, deal_id)) from None
        return CrmRefs(contact_id, deal_id)

    def _upsert_contact(self, lead: CrmLead) -> str:
        body = {"properties": _contact_properties(lead)}
        if lead.contact_id is not None:
            found = self._http.request(
                "PATCH", f"{CONTACTS}/{quote(lead.contact_id)}", body, accept=frozenset({404})
            )
            if found.status != 404:
                return _id(found)
        created = self._http.request("POST", CONTACTS, body, accept=frozenset({409}))
        if created.status != 409:
            return _id(created)
        # The address is already a contact: update that one, found by its email.
        updated = self._http.request(
            "PATCH", f"{CONTACTS}/{quote(lead.email, safe='')}?idProperty=email", body
        )
        return _id(updated)

    def _create_deal(self, lead: CrmLead) -> str:
        person = f"{lead.first_name} {lead.last_name}".strip() or lead.email
        name = f"{lead.company} - {person}" if lead.company else person
        properties = {"dealname": name, "pipeline": self.pipeline, "dealstage": self.stage}
        return _id(self._http.request("POST", DEALS, {"properties": properties}))

    def _add_note(self, lead: CrmLead, contact_id: str, deal_id: str) -> None:
        lines = [f"Reply: {lead.reply_subject}", "", lead.reply_text, ""]
        lines.append(f"Score {lead.score}: {', '.join(lead.score_reasons)}")
        note = "<br>".join(html.escape(line) for line in "\n".join(lines).splitlines())
        body = {
            "properties": {
                "hs_timestamp": utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "hs_note_body": note,
            },
            "associations": [
                _association(contact_id, NOTE_TO_CONTACT),
                _association(deal_id, NOTE_TO_DEAL),
            ],
        }
        self._http.request("POST", NOTES, body)


def _contact_properties(lead: CrmLead) -> dict[str, str]:
    properties = {
        "email": lead.email,
        "firstname": lead.first_name,
        "lastname": lead.last_name,
        "company": lead.company,
        "jobtitle": lead.title,
    }
    # Never blank out what a person already filled in HubSpot.
    return {key: value for key, value in properties.items() if value}


def _association(object_id: str, type_id: int) -> JsonObject:
    return {
        "to": {"id": object_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def _id(response: HttpResponse) -> str:
    if isinstance(response.body, dict) and response.body.get("id") not in (None, ""):
        return str(response.body["id"])
    raise GatewayError(f"HubSpot answered {response.status} without an object id")
