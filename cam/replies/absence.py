"""Absence notices told from their text: away for a while, or gone for good, and whom to write.

Many auto-replies carry no auto-reply header, and a person on parental leave or who left the
company often says so in plain words. "Away" needs the writer to speak of themselves in the
present or future ("I am out of the office", "ich bin im Urlaub") and something only a notice
says (a return, urgent matters, limited access, a stand-in), so "I was away last week, yes let's
talk" stays a person's answer. "Gone" (left the company, no longer with, this mailbox is not
read any more) stops the sequence for that address. A notice that names someone else to write
to keeps them as the referral, so the team can add them as a lead. Negated forms ("I'm not out
of office", "ich habe das Unternehmen nicht verlassen") do not match: each pattern puts the
speaker right before the state. Matched on folded text (see `features.fold`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cam.replies.alternation import compile_phrases
from cam.replies.features import fold
from cam.replies.next_steps import next_step_asked


@dataclass(frozen=True)
class Referral:
    """Whom an absence notice says to write to instead."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class Absence:
    """What an absence notice says: the rule, its phrase, for good or not, and the stand-in."""

    rule: str
    phrase: str
    gone: bool
    referral: Referral | None = None


# Left for good, or an address nobody reads any more.
_GONE = compile_phrases(
    r"\b(?:i\s+am|i'?m|im|is|has\s+been|i\s+have\s+been)\s+no\s+longer\s+(?:with|at|employed"
    r"|working\s+(?:at|for|with)|part\s+of)\b",
    r"\b(?:i|he|she)\s+no\s+longer\s+works?\s+(?:at|for|with|here)\b",
    r"\b(?:i|he|she|who)\s+(?:have\s+|has\s+)?(?:left|departed)\s+(?:the\s+|our\s+)?"
    r"(?:company|organi[sz]ation|firm|business|team)\b",
    r"\b(?:mailbox|inbox|e-?mail\s+address|address|account)\s+(?:is\s+)?(?:no\s+longer|not"
    r"|isn'?t)\s+(?:being\s+)?(?:monitored|checked|read|in\s+use|active|maintained)\b",
    r"\b(?:i|he|she|they)\s+(?:have\s+|has\s+)?left\s+(?!(?:a|an|you|it|my|your|the|him|her|them"
    r"|us|me|this|that|some|our|early|late|work|home|office|today|yesterday)\b)\w+\s+"
    r"(?:in|as\s+of|at\s+the\s+end\s+of|on|since|last|earlier)\b",
    r"\b(?:doesn'?t|does\s+not|don'?t|do\s+not)\s+work\s+(?:here|at|for|with)\b[^.\n]{0,40}?"
    r"\b(?:anymore|any\s+more|any\s+longer)\b",
    r"\bno\s+longer\s+in\s+(?:this|that|the|my)\s+(?:role|position|job)\b"
    r"|\bmoved\s+to\s+(?:a\s+)?(?:different|another|new|other)\s+(?:company|employer|job|firm)\b",
    r"\b(?:mailbox|inbox|e-?mail\s+address|address|account)\s+(?:will\s+(?:soon\s+)?be|is\s+being)"
    r"\s+(?:deactivated|closed|shut\s+down|disabled|deleted|removed)\b"
    r"|\b(?:inbox|mailbox)\s+(?:isn'?t|is\s+not)\s+(?:read|checked|monitored)\s+(?:anymore|any\s+more)",
    # Changed employers.
    r"\b(?:ho\s+cambiato\s+(?:azienda|lavoro|societa)|he\s+cambiado\s+de\s+(?:empresa|trabajo)"
    r"|j'?\s*ai\s+change\s+(?:d'?\s*entreprise|de\s+societe|d'?\s*employeur)"
    r"|habe\s+(?:das\s+unternehmen|den\s+arbeitgeber|die\s+firma)\s+gewechselt"
    r"|ben\s+(?:van\s+baan|van\s+werkgever)\s+veranderd|mudei\s+de\s+(?:empresa|emprego))\b",
    # Retired, or moved on: gone all the same.
    r"\b(?:has|have|had|recently|just)\s+retired\b|\bis\s+(?:now\s+)?retired\b"
    r"|\bretired\s+(?:at\s+the\s+end|in|on|last|earlier|this)\b"
    r"|\bmoved\s+on\s+from\s+(?:the|our)\s+(?:company|organi[sz]ation|firm|business|team)\b",
    r"\b(?:im|in\s+den)\s+ruhestand\b|\bin\s+rente\b",
    r"\b(?:se\s+(?:ha\s+)?jubilo|esta\s+jubilad[oa])\b",
    r"\b(?:a\s+pris\s+sa\s+retraite|est\s+(?:partie?\s+)?a\s+la\s+retraite)\b",
    r"\b(?:e\s+andat[oa]\s+in\s+pensione|e\s+in\s+pensione)\b",
    r"\b(?:se\s+aposentou|aposentou-se|reformou-se|esta\s+reformad[oa])\b",
    r"\bmet\s+pensioen\b",
    # German
    r"\b(?:bin|ist)\s+(?:seit\s+(?:\S+\s+){1,3}?)?nicht\s+mehr\s+(?:bei|im\s+unternehmen|in\s+der\s+firma"
    r"|in\s+(?:unserem|unserer|dem|der)\s+(?:unternehmen|firma|haus)"
    r"|tatig|beschaftigt|im\s+haus|teil)\b",
    r"\b(?:habe|hat)\s+(?:das\s+unternehmen|die\s+firma|\w+)\s+(?:zum\s+\S+\s+)?verlassen\b",
    r"\b(?:arbeite|arbeitet)\s+(?:seit\s+(?:\S+\s+){1,3}?)?nicht\s+mehr\s+(?:bei|fur|in|im|hier)\b",
    r"\b(?:postfach|e-?mail-?adresse|adresse)\s+wird\s+(?:bald\s+|in\s+kurze\s+)?(?:abgeschaltet"
    r"|deaktiviert|geloscht|geschlossen)\b",
    r"\b(?:ausgeschieden|aus\s+dem\s+unternehmen\s+ausgeschieden)\b",
    r"\b(?:postfach|e-?mail-?adresse|adresse)\s+(?:wird|ist)\s+(?:nicht\s+mehr|nicht\s+langer)"
    r"\s+(?:gelesen|abgerufen|uberwacht|betreut|aktiv|besetzt|in\s+gebrauch)\b",
    # French
    r"\bne\s+(?:fait|fais)\s+plus\s+partie\b|\bne\s+travaille\s+plus\s+(?:chez|pour|au\s+sein)\b"
    r"|\bje\s+ne\s+suis\s+plus\s+(?:a|au|chez|dans)\b",
    r"\b(?:a|ai)\s+quitte\s+(?:la\s+societe|l'?\s*entreprise|le\s+groupe|l'?\s*equipe)\b",
    r"\b(?:boite|adresse|messagerie)\b.{0,30}\bn'?\s*est\s+plus\s+(?:consultee|surveillee|lue"
    r"|active|utilisee|relevee)\b",
    r"\b(?:boite|adresse|messagerie)\b.{0,30}\bsera\s+(?:bientot\s+)?(?:desactivee|fermee"
    r"|supprimee|cloturee)\b",
    # Spanish
    r"\bya\s+no\s+(?:(?:trabaja|trabajo)\s+(?:en|para|con)|forma\s+parte|formo\s+parte"
    r"|pertenece)\b",
    r"\b(?:ha|he)\s+dejado\s+la\s+(?:empresa|compania|organizacion)\b|\bdej[eo]\s+la\s+empresa\b",
    r"\b(?:buzon|cuenta|direccion)\b.{0,30}\bya\s+no\s+(?:se\s+(?:revisa|supervisa|consulta|lee)"
    r"|esta\s+activ[ao])\b",
    r"\b(?:buzon|cuenta|direccion)\b.{0,30}\b(?:se\s+desactivara|sera\s+(?:desactivad|cerrad"
    r"|eliminad)[ao])\b",
    # Italian
    r"\bnon\s+(?:lavora|lavoro)\s+piu\b|\bnon\s+(?:fa|faccio)\s+piu\s+parte\b"
    r"|\bnon\s+(?:e|sono)\s+piu\s+in\s+(?:azienda|servizio|societa)\b",
    r"\b(?:ha|ho)\s+lasciato\s+(?:l'?\s*azienda|la\s+societa)\b",
    r"\b(?:casella|indirizzo)\b.{0,30}\bnon\s+e\s+piu\s+(?:monitorat|attiv|consultat|lett)\w*",
    r"\b(?:casella|indirizzo)\b.{0,30}\b(?:verra|sara)\s+(?:presto\s+|a\s+breve\s+)?"
    r"(?:disattivat|chius|eliminat)\w*",
    # Portuguese
    r"\bja\s+nao\s+(?:trabalh|faz\s+parte|faco\s+parte|esta\s+na|estou\s+na|pertenc)\w*",
    r"\bnao\s+(?:trabalha|trabalho)\s+mais\b|\bnao\s+(?:faz|faco)\s+mais\s+parte\b",
    r"\b(?:deixou|deixei|saiu|sai)\s+(?:da|a)\s+(?:empresa|companhia|organizacao)\b"
    r"|\bsai\s+de\s+la\s+(?:em|no|na|ha)\b",
    r"\b(?:caixa|endereco|email)\b.{0,30}\b(?:ja\s+nao\s+e|nao\s+e\s+mais|deixou\s+de\s+ser)\s+"
    r"(?:monitorad|monitorizad|lid|consultad|usad)\w*",
    r"\b(?:caixa|endereco|email)\b.{0,30}\bsera\s+(?:desativad|encerrad|eliminad)\w*",
    # Dutch
    r"\b(?:ben|is)\s+(?:sinds\s+(?:\S+\s+){1,3}?)?niet\s+(?:meer|langer)\s+(?:werkzaam|in\s+dienst"
    r"|verbonden|actief|bij)\b",
    r"\b(?:heb|heeft)\s+(?:het\s+bedrijf|de\s+organisatie|\w+)\s+(?:per\s+\S+\s+\S+\s+)?verlaten\b"
    r"|\bis\s+uit\s+dienst\b"
    r"|\b(?:ben|is)\s+(?:\S+\s+){0,3}?bij\s+(?:het\s+bedrijf|de\s+organisatie|ons|\w+)\s+vertrokken\b",
    r"\bwerkt?\s+(?:hier\s+niet\s+(?:meer|langer)|niet\s+(?:meer|langer)\s+(?:bij|voor|hier))\b",
    r"\b(?:mailbox|adres)\b.{0,30}\bwordt\s+(?:binnenkort\s+)?(?:opgeheven|gedeactiveerd"
    r"|afgesloten|verwijderd)\b",
    r"\b(?:mailbox|adres)\b.{0,30}\bwordt\s+niet\s+(?:meer|langer)\s+(?:gelezen|bekeken"
    r"|gecontroleerd|bijgehouden)\b",
)
# The writer away for a while, speaking of themselves.
_AWAY = compile_phrases(
    r"\b(?:i\s+am|i'?m|im|i\s+will\s+be|i'?ll\s+be|i\s+am\s+currently|i'?m\s+currently)\s+"
    r"(?:currently\s+|now\s+)?(?:out\s+of\s+(?:the\s+)?office|away|absent|travell?ing"
    r"|(?:off\s+)?on\s+(?:annual\s+|parental\s+|maternity\s+|paternity\s+|sick\s+|medical\s+|sabbatical\s+)?"
    r"(?:leave|vacation|holiday|holidays|sabbatical|a\s+business\s+trip))\b",
    r"\bout\s+of\s+(?:the\s+)?office\s+(?:until|till|from|and|with)\b",
    # German
    r"\b(?:ich\s+bin|bin\s+ich|ich\s+befinde\s+mich)\s+(?:(?:derzeit|zurzeit|aktuell|momentan|noch"
    r"|vom|bis|zum|am|ab"
    r"|\d[\d.]*|(?!nicht\b|kein)\w+)\s+){0,6}?"
    r"(?:nicht\s+im\s+(?:buro|haus)|abwesend|im\s+urlaub|in\s+(?:elternzeit|mutterschutz)"
    r"|krank|auf\s+(?:dienstreise|geschaftsreise)|ausser\s+haus|im\s+sabbatical"
    r"|in\s+(?:einer\s+|einem\s+)?(?:auszeit|sabbatical))\b",
    # French
    r"\bje\s+(?:suis|serai)\s+(?:actuellement\s+)?(?:absente?|malade|en\s+(?:conges?|vacances"
    r"|deplacement|conge\s+(?:maternite|parental|paternite|maladie|sabbatique)"
    r"|annee\s+sabbatique)|hors\s+du\s+bureau)\b",
    # Spanish
    r"\b(?:estoy|estare|me\s+encuentro)\s+(?:actualmente\s+|disfrutando\s+de\s+)?(?:fuera\s+de"
    r"\s+la\s+oficina|de\s+(?:vacaciones|viaje|baja)|ausente|con\s+baja|en\s+(?:baja|permiso)"
    r"|viajando|enferm[oa]|un\s+ano\s+sabatico"
    r"|(?:de|en)\s+(?:un\s+)?ano\s+sabatico)\b",
    # Italian
    r"\b(?:sono|saro)\s+(?:attualmente\s+)?(?:fuori\s+(?:ufficio|sede)|in\s+(?:ferie|vacanza"
    r"|maternita|paternita|congedo|malattia|trasferta|fiera|viaggio|(?:un\s+)?anno\s+sabbatico)"
    r"|assente|malat[oa])\b",
    # Portuguese
    r"\b(?:estou|estarei|encontro-me)\s+(?:atualmente\s+|actualmente\s+)?(?:fora\s+do\s+escritorio"
    r"|de\s+(?:ferias|licenca|viagem)|em\s+(?:ferias|licenca)|ausente|viajando|doente"
    r"|em\s+(?:periodo|ano|licenca)\s+sabatic[oa])\b",
    # Dutch
    r"\b(?:ik\s+ben|ben\s+ik)\s+(?:(?:momenteel|nog|tot|en|met|van|\d[\d.-]*|(?!niet\b|geen\b)\w+)\s+){0,6}?"
    r"(?:afwezig|met\s+(?:vakantie|verlof|ouderschapsverlof|zwangerschapsverlof)"
    r"|met\s+sabbatical|op\s+vakantie|op\s+reis|niet\s+op\s+kantoor|ziek)\b",
    # Out sick, in any form of the speaker's.
    r"\b(?:out|off|home)\s+sick\b|(?:^|[.!?]\s*)bin\s+(?:heute\s+|gerade\s+)?krank\b",
)
# Said of someone else, or of a trade fair: an absence only without a request or a question.
_AWAY_TOLD = compile_phrases(
    r"\b(?:is|ist|est|esta|e|sta|isn't)\s+(?:currently\s+|derzeit\s+|zurzeit\s+|actuellement\s+"
    r"|actualmente\s+|attualmente\s+|momenteel\s+)?(?:on\s+(?:\w+\s+)?leave|out\s+of\s+(?:the\s+)?"
    r"office|in\s+(?:elternzeit|mutterschutz)|im\s+urlaub|en\s+(?:arret\s+maladie|conges?\b"
    r"|conge\s+\w+)|de\s+(?:baja|vacaciones|ferias|licenca)|in\s+(?:ferie|maternita|malattia"
    r"|congedo)|met\s+(?:vakantie|verlof|zwangerschapsverlof))",
    r"\b(?:i'?m|i\s+am|ich\s+bin|je\s+suis|estoy|sono|estou|ik\s+ben|ik\s+sta|sta\s+ik)\s+"
    r"(?:at|on|auf\s+der|sur\s+le|au|a|en|in|na|no|op\s+de|op)\s+(?:[\w-]+\s+){0,5}?"
    r"(?:until|till|through|bis|jusqu|hasta|fino|ate|tot|beurs|messe|salon|feria|fiera|feira)\b",
    r"\b(?:closed|geschlossen|ferme|cerrad[oa]|chius[oa]|fechad[oa]|gesloten)\s+(?:\w+\s+){0,4}?"
    r"(?:until|till|bis|jusqu|hasta|fino|ate|tot)\b",
)
# Where a notice names a stand-in for urgent matters: "call reception" asks nothing of us.
_URGENT = re.compile(r"[^.!?\n]*\b(?:urgen|dringend|spoed)[^.!?\n]*")
# A return from the writer's own absence named as such ("after my holiday", not "after the
# holidays", which is when to write again): the writer is away now.
_BACK_FROM = compile_phrases(
    r"\b(?:after|when\s+i'?m\s+back\s+from|when\s+i\s+get\s+back\s+from)\s+my\s+"
    r"(?:holiday|holidays|vacation|leave|trip|travels?)\b",
    r"\bnach\s+meinem\s+urlaub\b|\bwenn\s+ich\s+aus\s+dem\s+urlaub\b",
    r"\ba\s+mon\s+retour\s+de\s+(?:conges?|vacances|deplacement)\b",
    r"\bcuando\s+vuelva\s+de\s+(?:viaje|vacaciones)\b",
    r"\bna\s+mijn\s+(?:vakantie|verlof)\b",
    r"\bal\s+rientro\s+dalle\s+ferie\b|\bquando\s+torno\s+dalle\s+ferie\b",
    r"\bquando\s+voltar\s+de\s+(?:viagem|ferias)\b|\bdepois\s+das\s+minhas\s+ferias\b",
)
# A negation right before the speaker: "non sono in ferie", "no estoy de vacaciones".
_NEGATED = re.compile(r"\b(?:non|no|nao|not|ne|nicht|niet)\s+$")
# What only a notice says: a return, urgent matters, limited access, a stand-in.
_NOTICE = compile_phrases(
    r"\b(?:until|till|back|return|returning|from|limited\s+access|urgent|in\s+my\s+absence"
    r"|will\s+(?:reply|respond|get\s+back)|upon\s+my\s+return|contact|reach)\b",
    r"\b(?:bis|zuruck|ab\s+\w+|dringend|vertretung|wenden\s+sie\s+sich|eingeschrankt"
    r"|wieder\s+(?:erreichbar|da|im))",
    r"\b(?:jusqu|retour|des\s+le|a\s+partir\s+du|urgence|urgent|contacter|contactez)",
    r"\b(?:hasta|regreso|vuelta|volvere|urgente|contactar|contacte|reincorpor|escrib\w*\s+a)",
    r"\b(?:fino\s+al?|rientro|rientrero|dal|urgenz|urgent|contattare|contatti|rispondo)",
    r"\b(?:ate|regresso|volto|voltar|retorno|urgente|contatar|contactar|contacte|respondo)",
    r"\b(?:tot|terug|vanaf|dringend|spoed|contact|reageer|morgen)",
    r"\b(?:tomorrow|antworte|melde\s+mich|je\s+reviens|demain|manana|domani|amanha)\b",
)
# Words after which a name or an address is the stand-in.
_REFER = re.compile(
    r"(?:contact|reach\s+out\s+to|write\s+to|send\s+(?:\w+\s+){0,3}?to|e-?mail|get\s+in\s+touch\s+with|forward(?:ed)?\s+to"
    r"|wenden\s+sie\s+sich\s+(?:bitte\s+)?an|kontaktieren\s+sie|schreiben\s+sie\s+an|an\s+meine"
    r"|contacter|contactez|ecrire\s+a|ecrivez\s+a|contactar|contacte|escriba\s+a|contattare"
    r"|contatti|scrivere\s+a|contatar|contate|entre\s+em\s+contato\s+com|neem\s+contact\s+op"
    r"|contacteer|mail\s+naar|\bmail\b|colleague|kollegin|kollege|collegue|colega|collega|successor"
    r"|scriva\s+a|scrivete\s+a|voyez\s+avec|fale\s+com|falem\s+com|hable\s+con|speak\s+(?:with|to)"
    r"|nachfolger\w*|successeur|sucesor\w*|successore|sucessor\w*|opvolger)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_NAME = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Dr|Herr|Frau|M|Mme|Sr|Sra|Sig|Sig\.ra|Dhr|Mevr)\.?\s+)?"
    r"([A-ZÀ-Þ][a-zà-ÿ'-]+(?:\s+(?:van\s+der\s+|van\s+|de\s+|von\s+|da\s+|di\s+)?"
    r"[A-ZÀ-Þ][a-zà-ÿ'-]+){1,2})"
)
# Capitalised words that start a sentence or name a role, not a person.
_NOT_A_NAME = frozenset(
    re.findall(
        r"\w+",
        "please bitte merci gracias grazie obrigado obrigada bedankt thanks thank dear hello hallo"
        " bonjour hola ciao ola for fur pour para per voor in im en the die der das le la el il o"
        " de sales vertrieb ventes ventas vendite vendas verkoop team support office urgent"
        " nachfolger nachfolgerin kollege kollegin vertretung ansprechpartner colleague"
        " successor herr frau",
    )
)


def find_absence(written: str, new_text: str, *, sender: str = "") -> Absence | None:
    """Read an absence notice in `written` (what the person wrote) or None if it is not one.

    `new_text` (the reply without quoted history, signature kept) is searched for the stand-in,
    since notices often put it in their last lines; `sender` is never its own stand-in.
    """
    text = fold(written)
    # "Sophie has left; I took over: could we do the demo on Thursday?" is the successor's
    # answer, not a notice: a next step asked (urgent matters aside) leaves it to the model.
    gone = _GONE.search(text)
    if gone is not None and next_step_asked(_URGENT.sub("", written)) is None:
        return Absence("absence.gone", gone.group(0), True, referral(new_text, sender=sender))
    notice = _NOTICE.search(text) is not None
    found = _said(_AWAY, text) if notice else None
    if found is None and "?" not in text:
        # Told in fewer words (someone else away, a trade fair, a return from holiday): only
        # without a next step asked for, "call reception if urgent" aside.
        found = _BACK_FROM.search(text) or (_said(_AWAY_TOLD, text) if notice else None)
        if found is not None and next_step_asked(_URGENT.sub("", written)) is not None:
            found = None
    if found is not None:
        return Absence("absence.away", found.group(0), False, referral(new_text, sender=sender))
    return None


def _said(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first match of `pattern` no negation stands right before."""
    for match in pattern.finditer(text):
        if not _NEGATED.search(text[max(0, match.start() - 8) : match.start()]):
            return match
    return None


def referral(text: str, *, sender: str = "") -> Referral | None:
    """Return the person `text` says to write to instead (an address, and a name if given)."""
    for cue in _REFER.finditer(text):
        window = text[cue.end() : cue.end() + 160]
        address = _EMAIL.search(window)
        if address is None:
            continue
        email = address.group(0).rstrip(".").lower()
        if email == sender.lower():
            continue
        return Referral(email, _name(window[: address.start()]) or _name_of(email))
    return None


def _name(before_address: str) -> str:
    """The capitalised words nearest the address, without a leading role ("Nachfolger")."""
    for match in reversed(list(_NAME.finditer(before_address))):
        words = match.group(1).split()
        while words and fold(words[0]) in _NOT_A_NAME:
            words.pop(0)
        if len(words) >= 2:
            return " ".join(words)
    return ""


def _name_of(email: str) -> str:
    """Guess "Jane Doe" from jane.doe@...; nothing from info@ or a single word."""
    parts = re.split(r"[._-]", email.partition("@")[0])
    if len(parts) < 2 or not all(p.isalpha() and len(p) > 1 for p in parts):
        return ""
    return " ".join(p.capitalize() for p in parts)
