"""Message templates: Jinja2 in a sandbox, strict about missing values.

A template that names a value the lead does not have fails that one message with a reason;
nothing is ever sent half-rendered. Templates come from a file a person edits, so they run
in `SandboxedEnvironment`: reaching Python internals (`__class__`, `mro`, ...) or building
huge strings fails cleanly instead of running.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Mapping
from typing import Any, Required, TypedDict, cast

from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from cam.core.models import Lead

# Largest string or sequence a template may build by `*` or `**` (a message is small).
MAX_PRODUCT = 100_000
# A line this short keeps its break when paragraphs are joined: "Best," above a name.
KEEP_BREAK_UNDER = 40
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LIST_ITEM = re.compile(r"[-*•]\s|\d+[.)]\s")


class TemplateRenderError(Exception):
    """A template could not be rendered: the message fails with this reason."""


class _MessageEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("exponent too large in a template")
            return operator.pow(left, right)
        for sized, count in ((left, right), (right, left)):
            too_large = (
                isinstance(sized, str | list | tuple)
                and isinstance(count, int)
                and len(sized) * count > MAX_PRODUCT
            )
            if too_large:
                raise SecurityError("template would build a value too large")
        return operator.mul(left, right)


_TEXT = _MessageEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_HTML = _MessageEnvironment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)


# Each send pass renders the same few templates: Jinja compiles one in about 2 ms.
@functools.lru_cache(maxsize=256)
def compile_template(source: str, *, html: bool = False) -> Template:
    """Parse a template (once per text); raise `TemplateRenderError` naming the syntax error."""
    env = _HTML if html else _TEXT
    try:
        return env.from_string(source)
    except TemplateError as exc:
        raise TemplateRenderError(f"template syntax error: {exc}") from exc


def sender_fields(source: str) -> set[str]:
    """Return the `sender.*` fields a template names (`sender.x` or `sender["x"]`)."""
    try:
        tree = _TEXT.parse(source)
    except TemplateError as exc:
        raise TemplateRenderError(f"template syntax error: {exc}") from exc
    found: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        named = getattr(node, "node", None)
        if not (isinstance(named, nodes.Name) and named.name == "sender"):
            continue
        if isinstance(node, nodes.Getattr):
            found.add(node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            found.add(str(node.arg.value))
    return found


def render(template: Template | str, variables: Mapping[str, object], *, html: bool = False) -> str:
    """Render fully or raise `TemplateRenderError`; never return a partial text."""
    if isinstance(template, str):
        template = compile_template(template, html=html)
    try:
        return template.render(variables)
    except SecurityError as exc:
        raise TemplateRenderError(f"template refused: {exc}") from exc
    except TemplateError as exc:
        raise TemplateRenderError(f"template error: {exc}") from exc
    except (ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise TemplateRenderError(f"template error: {type(exc).__name__}: {exc}") from exc


def flowing(text: str) -> str:
    """Join each paragraph's lines into one line, so mail apps wrap them to the screen.

    Templates are written wrapped at an editor's width; sent as they are, those breaks fall
    mid-sentence on a phone. Blank lines still separate paragraphs, and a break stays after a
    short line (a greeting, "Best,") and before a list item.
    """
    paragraphs = []
    for paragraph in _PARAGRAPH_BREAK.split(text.strip()):
        lines = [line.strip() for line in paragraph.splitlines()]
        if not lines:
            continue
        joined = lines[0]
        for before, line in itertools.pairwise(lines):
            keep = len(before) < KEEP_BREAK_UNDER or _LIST_ITEM.match(line)
            joined += ("\n" if keep else " ") + line
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


class TemplateVariables(TypedDict, total=False):
    """What a template may name: the lead's fields that are set, its custom fields, its
    sender's (`sender.*`, the fields the mailboxes file sets) and, in a snippet answering an
    absence, the day the person is back in words."""

    first_name: str
    last_name: str
    full_name: str
    company: str
    title: str
    email: str
    domain: str
    linkedin_url: str
    custom: Required[dict[str, object]]
    sender: dict[str, str]
    return_date: str


def lead_variables(lead: Lead) -> TemplateVariables:
    """Return what a template may use about a lead; empty fields are left out.

    Leaving them out (rather than passing "") makes `{{ first_name }}` fail for a lead
    without a first name, instead of sending "Hi ,"; templates can say
    `{{ first_name | default("there") }}` where a fallback is fine.
    """
    fields = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "full_name": lead.full_name,
        "company": lead.company,
        "title": lead.title,
        "email": lead.email,
        "domain": lead.domain,
        "linkedin_url": lead.linkedin_url,
    }
    variables = {k: v for k, v in fields.items() if v not in (None, "")}
    custom = {k: v for k, v in (lead.custom_fields or {}).items() if v not in (None, "")}
    # The keys are the TypedDict's own, each left out when empty.
    return cast(TemplateVariables, {**variables, "custom": custom})
