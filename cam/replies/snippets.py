"""Snippets: first drafts of an answer to a reply, per reply class, from a TOML file a team edits.

They are rendered with the campaigns' sandboxed Jinja, with the lead's fields, the answering
mailbox's sender (`sender.*`) and, for an out-of-office reply, its `return_date`. A snippet that
does not parse stops the load with its line, as a campaign does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cam.core.config_files import load_model
from cam.core.mailboxes import SenderProfile
from cam.core.models import Lead, ReplyClass
from cam.outreach.templates import (
    TemplateRenderError,
    TemplateVariables,
    compile_template,
    flowing,
    lead_variables,
    render,
)


class SnippetFileError(Exception):
    """The snippets file is missing, unreadable or invalid; the message names the line."""


class Snippet(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reply_class: ReplyClass = Field(alias="class")
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    title: str = Field(min_length=1, max_length=75)
    body: str = Field(min_length=1, max_length=3000)
    # Written to be sent when an absent prospect is back (Answer when back), not at once.
    when_back: bool = False

    @field_validator("body")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            compile_template(value)
        except TemplateRenderError as exc:
            raise ValueError(str(exc)) from exc
        return value


class SnippetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    snippet: list[Snippet] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> SnippetsFile:
        keys = [s.key for s in self.snippet]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"each snippet needs its own key: {', '.join(repeated)}")
        return self

    def of_class(self, reply_class: ReplyClass, *, when_back: bool = False) -> list[Snippet]:
        """The snippets for a reply of this class, the default one first: for an answer sent
        when the prospect is back (`when_back`), those written for it lead."""
        found = [s for s in self.snippet if s.reply_class is reply_class]
        return sorted(found, key=lambda s: s.when_back != when_back)

    def get(self, key: str) -> Snippet | None:
        return next((s for s in self.snippet if s.key == key), None)


def load_snippets(path: Path) -> SnippetsFile:
    """Read and check the snippets file."""
    return load_model(path, SnippetsFile, "snippets file", SnippetFileError)


def snippet_variables(
    lead: Lead | None, sender: SenderProfile, return_date: date | None
) -> TemplateVariables:
    """What a snippet may use: the lead's fields, the sender's and the return date."""
    variables = lead_variables(lead) if lead is not None else TemplateVariables(custom={})
    variables["sender"] = sender.variables()
    if return_date is not None:
        variables["return_date"] = f"{return_date:%A} {return_date.day} {return_date:%B}"
    return variables


def draft(snippet: Snippet, variables: TemplateVariables) -> str:
    """Render the snippet as the modal's first draft; raise `TemplateRenderError` if it fails."""
    return flowing(render(snippet.body, variables))
