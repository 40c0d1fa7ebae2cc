"""The campaign file (TOML) and its copy in the database, kept in step by an upsert.

The file in the repository is the source of truth: syncing it creates or updates the
campaign with its key, replaces changed steps in place, drops steps that were removed, and
makes it the active campaign. Templates are checked when the file is read, so a typo stops
the sync with a message instead of failing every send.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from cam.core.config_files import load_model
from cam.core.mailboxes import DEFAULT_KEY, SenderProfile
from cam.core.models import Campaign, CampaignStep, Channel
from cam.outreach.templates import TemplateRenderError, compile_template, sender_fields

# Where each sender field is set: the mailboxes file's key, or the default mailbox's setting.
SENDER_SETTINGS = {
    "first_name": "CAM_SENDER_NAME",
    "name": "CAM_SENDER_NAME",
    "title": "CAM_SENDER_TITLE",
    "signature": "CAM_SENDER_SIGNATURE",
    "booking_url": "CAM_BOOKING_URL",
}


class CampaignFileError(Exception):
    """The campaign file is missing, unreadable or invalid."""


class StepSpec(BaseModel):
    channel: Channel
    delay_days: int = Field(default=0, ge=0, le=365)
    subject: str = ""
    body: str
    html: str | None = None

    @field_validator("subject", "body", "html")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value:
            try:
                compile_template(value)
            except TemplateRenderError as exc:
                raise ValueError(str(exc)) from exc
        return value


class CampaignSpec(BaseModel):
    key: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    # None: use the threshold of the scoring file.
    score_threshold: int | None = None
    steps: list[StepSpec] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _first_is_email(cls, steps: list[StepSpec]) -> list[StepSpec]:
        if steps[0].channel is Channel.email and not steps[0].subject.strip():
            raise ValueError("the first email step needs a subject")
        return steps


def load_campaign(path: Path) -> CampaignSpec:
    """Read and check the campaign file."""
    return load_model(path, CampaignSpec, "campaign file", CampaignFileError)


def check_senders(spec: CampaignSpec, profiles: Mapping[str, SenderProfile]) -> None:
    """Refuse a campaign naming a `sender.*` field one of the mailboxes does not set.

    Caught when the file is read, so a mailbox without a booking link stops the sync with its
    name, rather than failing each of its leads' emails at send time.
    """
    for position, step in enumerate(spec.steps, start=1):
        for part, source in (("subject", step.subject), ("body", step.body), ("html", step.html)):
            check_sender_fields(source or "", profiles, f"step {position} ({part})")


def check_sender_fields(source: str, profiles: Mapping[str, SenderProfile], where: str) -> None:
    """Raise `CampaignFileError` if `source` names a sender field a mailbox lacks."""
    for field in sorted(sender_fields(source)):
        if field not in SenderProfile.model_fields:
            known = ", ".join(SenderProfile.model_fields)
            raise CampaignFileError(f"{where} uses sender.{field}: there is none ({known})")
        for key, profile in profiles.items():
            if getattr(profile, field):
                continue
            how = (
                f"set {SENDER_SETTINGS[field]}"
                if key == DEFAULT_KEY
                else f"add {'name' if field == 'first_name' else field} to its [[mailbox]]"
            )
            raise CampaignFileError(
                f"{where} uses sender.{field}, which mailbox {key!r} does not set: {how}"
            )


def sync_campaign(session: Session, spec: CampaignSpec, *, default_threshold: int) -> Campaign:
    """Upsert the campaign and its steps by key and position; make it the active one."""
    campaign = session.scalars(
        select(Campaign).where(Campaign.key == spec.key).options(selectinload(Campaign.steps))
    ).one_or_none()
    if campaign is None:
        campaign = Campaign(key=spec.key, name=spec.name)
        session.add(campaign)
    threshold = spec.score_threshold if spec.score_threshold is not None else default_threshold
    _assign(campaign, name=spec.name, active=True, score_threshold=threshold)
    existing = {step.position: step for step in campaign.steps}
    for position, step_spec in enumerate(spec.steps, start=1):
        step = existing.pop(position, None)
        if step is None:
            step = CampaignStep(position=position, channel=step_spec.channel)
            campaign.steps.append(step)
        _assign(
            step,
            channel=step_spec.channel,
            delay_days=step_spec.delay_days,
            subject_template=step_spec.subject,
            body_template=step_spec.body,
            html_template=step_spec.html,
        )
    for removed in existing.values():
        campaign.steps.remove(removed)
    session.flush()
    session.execute(
        update(Campaign)
        .where(Campaign.id != campaign.id, Campaign.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    return campaign


def sync_campaign_file(
    session: Session,
    path: Path,
    *,
    default_threshold: int = 50,
    senders: Mapping[str, SenderProfile] | None = None,
) -> Campaign:
    """Load the file at `path` and sync it: what the demo, the CLI and each cycle call.

    With `senders`, every mailbox must set each sender field the templates name.
    """
    spec = load_campaign(path)
    if senders is not None:
        check_senders(spec, senders)
    return sync_campaign(session, spec, default_threshold=default_threshold)


def active_campaign(session: Session) -> Campaign | None:
    """Return the active campaign with its steps, if there is one."""
    return session.scalars(
        select(Campaign)
        .where(Campaign.active.is_(True))
        .options(selectinload(Campaign.steps))
        .order_by(Campaign.id.desc())
        .limit(1)
    ).one_or_none()


def _assign(row: object, **values: object) -> None:
    # Only touch what changed, so an unchanged file writes nothing.
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
