"""Each language pack is read whole, and what it says shapes how replies in it are read."""

from __future__ import annotations

import re
import tomllib

import pytest
from pydantic import ValidationError

from cam.replies import languages
from cam.replies.excerpt import clean_excerpt
from cam.replies.mail_text import strip_quoted
from tests.replies.written_replies import QUOTED

# Each language's everyday sign-off and mobile footer, as a person writes them.
SIGN_OFFS = {
    "en": ("Kind regards,", "Sent from my iPhone"),
    "de": ("Mit freundlichen Grüßen", "Von meinem iPhone gesendet"),
    "fr": ("Cordialement,", "Envoyé de mon iPhone"),
    "es": ("Saludos cordiales,", "Enviado desde mi iPhone"),
    "nl": ("Met vriendelijke groet,", "Verzonden vanaf mijn iPhone"),
    "it": ("Cordiali saluti", "Inviato da iPhone"),
    "pt": ("Atenciosamente,", "Enviado do meu iPhone"),
}


def test_there_is_one_pack_per_language_read_in_a_fixed_order() -> None:
    assert tuple(pack.code for pack in languages.PACKS) == languages.CODES
    assert sorted(p.stem for p in languages.PACK_DIR.glob("*.toml")) == sorted(languages.CODES)


@pytest.mark.parametrize("code", languages.CODES)
def test_every_pattern_of_a_pack_compiles_on_its_own(code: str) -> None:
    """A broken pattern is found in its own file, not in the alternation built from all."""
    pack = languages.load(code)
    patterns = [
        *(f"{form.opens} {form.closes}" for form in pack.quote.attribution),
        *pack.quote.original_message,
        *pack.quote.header_from,
        *pack.quote.header_sent,
        *pack.signature.phone_footer,
        *pack.signature.sign_off,
        *pack.opt_out.subject,
        *pack.opt_out.never_asked,
        *pack.misdirected.phrases,
        *pack.negation.before,
        *pack.negation.after,
        *pack.channel.call,
    ]
    assert patterns
    for pattern in patterns:
        re.compile(pattern)


@pytest.mark.parametrize("code", languages.CODES)
def test_a_reply_in_each_language_loses_its_quote_and_signature(code: str) -> None:
    sign_off, footer = SIGN_OFFS[code]
    text = f"Yes.\n\n{sign_off}\nKim\n\n{footer}\n\n{QUOTED[code]}\n"
    assert strip_quoted(text) == f"Yes.\n\n{sign_off}\nKim\n\n{footer}"
    assert clean_excerpt(text) == "Yes."


def test_a_misspelt_section_of_a_pack_is_refused() -> None:
    with (languages.PACK_DIR / "de.toml").open("rb") as handle:
        data = tomllib.load(handle)
    data["signatur"] = data.pop("signature")
    with pytest.raises(ValidationError):
        languages.LanguagePack.model_validate({"code": "de", **data})
