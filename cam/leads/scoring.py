"""Explainable lead scoring: each matching rule adds points and a reason a person can read."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, Field, field_validator, model_validator

from cam.core.config_files import load_model


class ScoringFileError(Exception):
    """The scoring file is missing, unreadable or invalid."""


class TitleKeyword(BaseModel):
    keyword: str = Field(min_length=1)
    points: int

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        words = r"\s+".join(re.escape(word) for word in self.keyword.lower().split())
        return re.compile(rf"(?<!\w){words}(?!\w)")


class DomainRule(BaseModel):
    company_points: int = 0
    free_mail_points: int = 0
    free_mail_domains: frozenset[str] = frozenset()

    @field_validator("free_mail_domains")
    @classmethod
    def _lower(cls, domains: frozenset[str]) -> frozenset[str]:
        return frozenset(domain.strip().lower() for domain in domains)


class CustomFieldRule(BaseModel):
    field: str = Field(min_length=1)
    points: int
    equals: str | None = None
    contains: str | None = None
    at_least: float | None = None

    @model_validator(mode="after")
    def _one_test(self) -> CustomFieldRule:
        given = [t for t in (self.equals, self.contains, self.at_least) if t is not None]
        if len(given) != 1:
            raise ValueError(
                f"rule on {self.field!r} needs exactly one of equals/contains/at_least"
            )
        return self

    def reason_if_matches(self, value: object) -> str | None:
        if value is None:
            return None
        if self.at_least is not None:
            number = _number(value)
            if number is None or number < self.at_least:
                return None
            return f"{self.field} {value} >= {self.at_least:g}"
        text = str(value).strip().lower()
        if self.equals is not None and text == self.equals.strip().lower():
            return f"{self.field} is {self.equals!r}"
        if self.contains is not None and self.contains.strip().lower() in text:
            return f"{self.field} contains {self.contains!r}"
        return None


class ScoringRules(BaseModel):
    threshold: int = 50
    title_keywords: list[TitleKeyword] = []
    domain: DomainRule = DomainRule()
    custom_fields: list[CustomFieldRule] = []


class Score(NamedTuple):
    points: int
    reasons: list[str]


def load_rules(path: Path) -> ScoringRules:
    """Read and check the scoring file."""
    return load_model(path, ScoringRules, "scoring file", ScoringFileError)


class Scorer:
    """Scores many leads with one set of rules; a title seen before is not matched again."""

    def __init__(self, rules: ScoringRules) -> None:
        self.rules = rules
        self._titles: dict[str, tuple[int, tuple[str, ...]]] = {}
        self._fields = [(rule.field.strip().lower(), rule) for rule in rules.custom_fields]

    def _title(self, title: str) -> tuple[int, tuple[str, ...]]:
        known = self._titles.get(title)
        if known is None:
            lowered = title.lower()
            hits = [r for r in self.rules.title_keywords if r.pattern.search(lowered)]
            known = (
                sum(r.points for r in hits),
                tuple(f"{r.points:+d} title has {r.keyword!r}" for r in hits),
            )
            if len(self._titles) < 100_000:
                self._titles[title] = known
        return known

    def score(self, *, title: str, domain: str, custom_fields: Mapping[str, object]) -> Score:
        """Score one lead; the reasons say which rule gave which points."""
        points, title_reasons = self._title(title)
        reasons = list(title_reasons)
        rule = self.rules.domain
        if domain:
            if domain.lower() in rule.free_mail_domains:
                if rule.free_mail_points:
                    points += rule.free_mail_points
                    reasons.append(f"{rule.free_mail_points:+d} free-mail address ({domain})")
            elif rule.company_points:
                points += rule.company_points
                reasons.append(f"{rule.company_points:+d} company domain ({domain})")
        if self._fields and custom_fields:
            fields = {str(key).strip().lower(): value for key, value in custom_fields.items()}
            for name, field_rule in self._fields:
                why = field_rule.reason_if_matches(fields.get(name))
                if why is not None:
                    points += field_rule.points
                    reasons.append(f"{field_rule.points:+d} {why}")
        return Score(points, reasons)


def score_lead(
    rules: ScoringRules, *, title: str, domain: str, custom_fields: Mapping[str, object]
) -> Score:
    """Score one lead; the reasons say which rule gave which points."""
    return Scorer(rules).score(title=title, domain=domain, custom_fields=custom_fields)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        return None
