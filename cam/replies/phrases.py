"""Explicit phrases that decide before any model: opt-outs, in seven languages.

An opt-out must never depend on a model's mood: a person who writes "abmelden" or "no me
contacten más" is suppressed whatever else the reply says (unless it also asks for a next step:
`beside_opt_out`). Complaints that only a person who wants no more mail writes ("this is spam",
"how many times do I have to tell you", "I never asked for these emails") and requests to erase
the person's data count as opt-outs too. The phrases are matched on folded text (lower case, no
accents: see `features.fold`), so "désabonner", "desabonner" and "DÉSABONNER" are one phrase.
They cover English, German, French, Spanish, Dutch, Italian and Portuguese. Requests about
personal data are in `data_requests`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cam.replies import languages, scope
from cam.replies.alternation import compile_phrases
from cam.replies.features import fold


@dataclass(frozen=True)
class PhraseMatch:
    """Which rule decided, and the words of the reply that made it."""

    rule: str
    phrase: str


# A subject that starts with a removal request, or ("stop", "baja") is nothing else.
_SUBJECT = re.compile(
    rf"^\s*(?:{languages.alternatives(lambda pack: pack.opt_out.subject)})\b"
    rf"|^\s*(?:{languages.alternatives(lambda pack: pack.opt_out.subject_alone)})\s*[.!]*\s*$"
)

# GDPR Art. 17 (erasure) and Art. 21 (objection to direct marketing), in any language; an
# objection needs no article: "je m'oppose", "me opongo", "Widerspruch" say it all.
_GDPR_OBJECTION = compile_phrases(
    r"\bart(?:\.|icle|ikel|iculo|icolo|igo)?\s*(?:17|21)\b",
    r"(?<!n't )(?<!not )(?<!dont )\bobject\s+to\s+(?:the\s+|you\s+|your\s+|any\s+)?(?:further\s+)?"
    r"(?:processing|using|use\s+of|direct\s+marketing|marketing)\b",
    r"\bright\s+to\s+(?:erasure|be\s+forgotten|object)\b|\bwithdraw\s+(?:my|our|any)\s+consent\b",
    r"\bwiderspreche\b|\bwiderspruch\s+(?:gegen|nach|gem\w*|zur|zum)\b"
    r"|\b(?:erhebe|lege)\w*\s+(?:ich\s+)?(?:hiermit\s+)?widerspruch\b|\bwiderrufe\s+(?:meine|jede)\s+einwilligung",
    r"\bloschung\s+(?:meiner|aller|der\s+(?:zu\s+mir|uber\s+mich|meine))",
    r"\bje\s+m'?\s*oppose\b|\bnous\s+nous\s+opposons\b|\bopposition\s+au\s+traitement\b"
    r"|\bdroit\s+(?:d'?\s*opposition|a\s+l'?\s*effacement|a\s+l'?\s*oubli)",
    r"\beffacement\s+(?:de\s+(?:toutes\s+)?mes|des\s+donnees\s+me\s+concernant)",
    r"(?<!no )\bme\s+opongo\b|\bderecho\s+(?:de\s+(?:supresion|oposicion)|al\s+olvido)\b",
    r"\bsupresion\s+de\s+(?:todos\s+)?mis\b",
    r"\bbezwaar\s+tegen\s+(?:de\s+|het\s+)?(?:verwerking|gebruik|direct)"
    r"|(?<!geen )\bmaak\w*\s+(?:ik\s+|hierbij\s+)*bezwaar\b"
    r"|\brecht\s+op\s+(?:verwijdering|vergetelheid|bezwaar)",
    r"\bverwijdering\s+van\s+(?:al\s+)?mijn\b",
    r"(?<!non )\bmi\s+oppongo\b"
    r"|\bdiritto\s+(?:all'?\s*oblio|di\s+opposizione|alla\s+cancellazione)",
    r"\bcancellazione\s+(?:di\s+tutti\s+)?(?:dei\s+)?miei\b",
    r"(?<!nao )\boponho-?\s*me\b|(?<!nao )\bme\s+oponho\b"
    r"|\bdireito\s+(?:ao\s+apagamento|de\s+oposicao|a\s+eliminacao|ao\s+esquecimento)",
    r"\beliminacao\s+(?:de\s+todos\s+)?(?:os\s+)?(?:dos\s+)?meus\b",
)

# Complaints that only someone who wants no more mail writes: "this is spam", "how many times
# do I have to tell you", "I will report you".
_COMPLAINT = compile_phrases(
    r"\b(?:this|that|it|these|thats|this\s+email)\s+(?:is|are|s)\s+(?:just\s+|pure\s+|plain\s+)?"
    r"(?:spam|junk)\b",
    r"\bstop\s+(?:the\s+|this\s+|your\s+)?spam\b|\bspam(?:ming)?\s+(?:me|us)\b",
    r"\b(?:how\s+many\s+times|wie\s+oft|combien\s+de\s+fois|cuantas\s+veces|hoe\s+vaak"
    r"|quante\s+volte|quantas\s+vezes)\b.{0,40}\b(?:tell|ask|say|repeat|unsubscrib|sagen"
    r"|bitten|wiederhol|schreiben|dire|repet|demand|decir|repetir|pedir|zeggen|vragen|herhal"
    r"|ripet|chieder|dirv|dizer)",
    r"\breport(?:ing|ed)?\s+(?:you|your\s+(?:company|firm|domain))(?:\s+(?:to|for)\b|\s*[.!]|$)"
    r"|\b(?:report|reported|flag|flagged|mark|marked)\s+(?:this|it|you)?\s*as\s+spam\b",
    r"\b(?:das|dies|es)\s+ist\s+(?:doch\s+|reiner\s+|nur\s+)?spam\b|\bzeige\s+(?:ich\s+)?sie\s+an\b"
    r"|\bmelde\s+(?:ich\s+)?sie\b.{0,30}\bdatenschutz|\babmahnung\b",
    r"\bc'?\s*est\s+du\s+(?:spam|harcelement)\b"
    r"|\bsignal\w*\s+(?:a\s+la\s+cnil|comme\s+spam)\b",
    r"\b(?:esto|eso)\s+es\s+spam\b|\bdenunciar(?:les|le)?\b",
    r"\b(?:dit|dat)\s+is\s+spam\b",
    r"\b(?:questo|questa)\s+e\s+spam\b",
    r"\b(?:isto|isso)\s+e\s+spam\b",
)

# "I never asked for these emails": unsolicited mail named as such, in one sentence.
_NEVER_ASKED = compile_phrases(*languages.gather(lambda pack: pack.opt_out.never_asked))
_MAIL_WORDS = compile_phrases(
    r"\b(?:e-?mails?|mails|messages?|newsletters?|nachrichten|zusendungen|werbung|courriels"
    r"|correos?|mensajes|berichten|mailtjes|messaggi|mensagens|comunicacoes|this|these|dies\w*"
    r"|das|ces|cela|estos|esto|deze|dit|queste|questo|isto|estes|esses|isso|recevoir|recibir"
    r"|ricevere|receber|ontvangen|erhalten|receive)\b"
)

# The whole written text is one removal word.
_BARE = re.compile(
    r"^\W*(?:stop|stopp|remove|delete|baja|arret|arrete|basta|pare|parem|halt|spam)\W*$"
)

_REQUEST = compile_phrases(
    # English
    r"\bunsubscrib\w*",
    r"\bopt(?:\s+(?:me|us))?[\s-]*out\b",
    r"\b(?:remove|take|get)\s+(?:me|us|my\s+(?:e-?mail|address|name|details|contact|data))"
    r"\s+(?:off|from|out)\b",
    r"\bremove\s+(?:me|us)\b|\b(?:remove|delete)\s+my\s+(?:e-?mail|address|contact)",
    r"\boff\s+(?:your|the|this|all)\s+(?:mailing\s+|distribution\s+|e-?mail\s+)?lists?\b",
    # "stop emailing", but not "does it stop emailing ...?" about the product.
    r"(?<!it )(?<!to )\b(?:stop|quit|cease)\s+"
    r"(?:e-?mailing|contacting|writing|messaging|spamming"
    r"|sending\s+(?:me|us|these|this|those|your|e-?mails|mails))\b",
    r"\b(?:do\s+not|don'?t|never)\s+(?:ever\s+)?(?:contact|e-?mail|write\s+to|message|call)"
    r"\s+(?:me|us)\b",
    r"\bno\s+(?:more|further)\s+(?:e-?mails?|mails?|messages|contact|emails)\b",
    r"\bdo[\s-]not[\s-](?:contact|call|e-?mail)\s+list\b|\bsuppression\s+list\b",
    r"\b(?:sperrliste|robinsonliste|blacklist|bel-me-niet)|\bliste\s+(?:noire|d'opposition)",
    r"\blista\s+(?:robinson|negra)\b",
    r"\b(?:not|don'?t|no\s+longer|never)\s+(?:want|wish)\s+to\s+(?:receive|get|hear|be\s+contacted)",
    r"\b(?:delete|erase)\s+(?:all\s+(?:of\s+)?)?my\s+(?:personal\s+)?"
    r"(?:data|details|information|info|records?|e-?mail|address|contact)",
    r"\b(?:delete|erase)\s+(?:all|any|everything|whatever)\b.{0,40}\babout\s+me\b",
    r"\bmy\s+(?:personal\s+)?(?:data|details|information|address|e-?mail)\s+(?:to\s+be\s+)?"
    r"(?:deleted|erased|removed)\b",
    # "the erasure of my data" in each language
    r"\b(?:deletion|erasure|removal)\s+of\s+(?:all\s+)?my\b|\bloschung\s+(?:aller\s+)?meiner\b",
    r"\b(?:suppression|effacement)\s+de\s+(?:toutes\s+)?mes\s+(?:donnees|coordonnees)",
    r"\b(?:eliminacion|supresion|borrado)\s+de\s+(?:todos\s+)?mis\s+datos",
    r"\bverwijdering\s+van\s+(?:al\s+)?mijn\b",
    r"\b(?:cancellazione|eliminazione|rimozione)\s+dei\s+miei\s+dati",
    r"\b(?:exclusao|eliminacao|apagamento|remocao)\s+dos\s+(?:meus\s+)?dados",
    r"\b(?:remove|delete|erase)\s+(?:me|us)\b|\bdelete\s+my\s+(?:account|profile|record)",
    r"\b(?:remove|delete|erase|take|get|strike)\s+(?:me|us|my|our|this\s+(?:e-?mail|address)"
    r"|him|her|them)\b.{0,30}\b(?:from|off|out\s+of)\s+"
    r"(?:your|the|this|all\s+your|any)\s+(?:mailing\s+|contact\s+|distribution\s+|e-?mail\s+|"
    r"marketing\s+|sales\s+)?(?:lists?|database|records|system|crm|files|mailings?)\b",
    r"\b(?:want|like|wish|ask|need)\s+to\s+be\s+(?:removed|taken\s+off|unsubscribed|deleted|erased)",
    r"\b(?:don'?t|do\s+not|never)\s+(?:ever\s+)?(?:send|write)\s+(?:me|us)\s+(?:anything\s+"
    r"(?:else|more|further|again)|any\s+(?:more|further|other))\b",
    r"\bany\s*more\s+(?:e-?mails|mails|messages|newsletters|spam)\b",
    r"\bleave\s+(?:me|us)\s+alone\b",
    r"\b(?:stop|quit)\s+following\s+up\b|\bno\s+more\s+follow[\s-]?ups?\b"
    r"|\b(?:do\s+not|don'?t)\s+(?:ever\s+)?(?:follow\s+up|reach\s+out)\s+(?:with\s+me\s+)?again\b"
    r"|\blose\s+my\s+(?:e-?mail|address|number|details)\b|\bcease\s+and\s+desist\b"
    r"|\brefrain\s+from\s+(?:contacting|emailing|e-mailing|writing\s+to|calling)\b"
    r"|\b(?:i'?d|i\s+would)\s+rather\s+not\s+(?:hear|receive|get|have)\s+(?:\w+\s+){0,2}?"
    r"(?:more|further|again|from\s+you)\b",
    r"\b(?:nehmen|streichen)\s+sie\s+(?:mich|uns|meine\s+(?:adresse|e-?mail\w*))\b.{0,40}"
    r"\b(?:raus|heraus|aus)\b|\bverschonen\s+sie\s+mich\b|\blassen\s+sie\s+mich\s+in\s+ruhe\b"
    r"|\bunterlassen\s+sie\s+(?:jegliche|weitere|kunftige)\b",
    r"\blaissez-?\s*(?:moi|nous)\s+tranquilles?\b|\bdejen(?:me|nos)\s+en\s+paz\b"
    r"|\bbasta\s+(?:de\s+)?(?:correos|mails|e-?mails|mensajes)\b|\blasciate(?:mi|ci)\s+in\s+pace\b"
    r"|\bbasta\s+(?:con\s+(?:le\s+)?)?(?:e-?mail|mail|messaggi)\b|\b(?:me|nos)\s+deixem\s+em\s+paz\b"
    r"|\bchega\s+de\s+(?:e-?mails|mensagens|emails)\b|\blaat\s+(?:me|mij|ons)\s+met\s+rust\b",
    r"\bwil\s+(?:\w+\s+){0,3}?niet\s+(?:meer\s+)?ontvangen\b|\bgeen\s+(?:\w+\s+)?mails?\s+meer\b",
    # German
    r"\babmeld\w*|\bmelden\s+sie\s+mich\b.{0,30}\bab\b",
    r"\baustragen\b|\btragen\s+sie\s+(?:mich|uns)\b.{0,40}\baus\b",
    r"\baus\s+(?:ihrem|ihrer|ihren|dem|der|diesem|dieser|eurem|eurer)\s+(?:e-?mail-?)?"
    r"(?:verteiler|liste|mailingliste|datenbank|adressliste|kartei|newsletter)",
    r"\bnicht\s+(?:mehr|weiter|wieder)\s+(?:zu\s+)?(?:kontaktier|anschreib|anzuschreib|anruf|"
    r"schreib|belastig|anmail|mail|e-?mail)",
    r"\b(?:kontaktieren|anschreiben|schreiben|mailen|anrufen|belastigen)\s+sie\s+(?:mich|mir|uns)"
    r"\s+(?:bitte\s+)?(?:nicht\s+mehr|nie\s+wieder)\b",
    r"\bkeine\s+weiteren?\s+(?:e-?mails|mails|nachrichten|zusendungen|kontakt\w*|werbung)",
    r"\bkeine\s+(?:e-?mails?|mails?|nachrichten|werbung)\s+mehr\b",
    r"\b(?:losch|entfern)\w*\s+(?:sie\s+)?(?:bitte\s+)?(?:alle\s+)?meine[rn]?\s+"
    r"(?:personenbezogenen\s+)?(?:daten|adresse|e-?mail|kontakt)",
    r"\buntersage\b|\bhoren\s+sie\s+(?:bitte\s+)?auf\b",
    r"\b(?:losch|entfern|streich)\w*\s+sie\s+(?:mich|uns)\b",
    r"\b(?:mochte|mochten|will|wollen|wunsche|bitte)\b.{0,40}\b(?:geloscht|entfernt|ausgetragen"
    r"|abgemeldet|gestrichen)\s+(?:zu\s+)?werden\b",
    r"\bnicht\s+(?:mehr\s+)?(?:weiter\s+)?(?:angeschrieben|kontaktiert|angerufen|belastigt)\b",
    # French
    r"\bdesabonn\w*|\bdesinscri\w*",
    r"\bne\s+(?:plus|jamais)\s+(?:me\s+|m'\s*|nous\s+)(?:contacter|solliciter|ecrire|envoyer|relancer|"
    r"appeler|deranger)",
    r"\bne\s+(?:me\s+|m'\s*|nous\s+)(?:contactez|ecrivez|sollicitez|relancez|envoyez|appelez)"
    r"\s+plus\b",
    r"\b(?:retir|supprim|effac|enlev|ray)\w*[\s-]+(?:moi|mon\s+adresse|mon\s+(?:e-?mail|mail|nom)"
    r"|mes\s+(?:coordonnees|donnees|informations))\b",
    r"\bme\s+(?:retirer|desinscrire|supprimer|rayer|enlever)\s+de\b",
    r"\b(?:arret|cess)\w*\s+(?:de\s+m'?\s*(?:envoyer|ecrire|contacter|solliciter|spammer)"
    r"|tout\s+envoi|vos\s+(?:envois|mails|e-?mails|messages))",
    r"\bne\s+(?:veux|souhaite|voulons|souhaitons)\s+plus\s+(?:recevoir|etre\s+contacte)",
    r"\bplus\s+de\s+(?:mails|e-?mails|messages|courriels|sollicitations)\s*(?:svp|merci|[.!])",
    r"\b(?:veux|voudrais|souhaite|souhaiterais|demande\s+a)\s+(?:\w+\s+)?etre\s+(?:retire|supprime"
    r"|desinscrit|raye|efface)e?s?\b",
    r"\bne\s+(?:plus|jamais)\s+(?:etre\s+)?(?:recontacte|contacte|sollicite)",
    r"\bne\s+(?:me|nous)\s+(?:\w+\s+)?(?:recontactez|contactez|ecrivez|envoyez)\s+(?:plus|jamais)\b",
    # Spanish
    r"\b(?:dar|darme|darse|darnos|denme|deme|dame|dadme|dadnos|denos)\s+de\s+baja\b",
    r"\bbaja\s+de\s+(?:la|su|vuestra|esta|sus)\s+(?:lista|base)",
    r"\bno\s+(?:me|nos)\s+(?:(?:vuelv|volv)\w+\s+a\s+)?(?:contacte|contacten|contactes|contacteis|"
    r"escriba|escriban|escribas|escribais|escribir|envie|envien|envies|manden|mande|contactar)"
    r"\b",
    r"\b(?:eliminen|elimine|borren|borre|borrad|quiten|quitad|saquen|retiren|supriman|suprima)"
    r"\s+(?:mis|mi|el\s+mio|de\s+su|de\s+la)\b",
    r"\b(?:eliminenme|elimineme|eliminadme|quitenme|quitadme|quiteme|saquenme|sacadme|sacame"
    r"|borrenme|borradme|retirenme|retiradme)\b",
    r"\bno\s+(?:quiero|queremos)\s+(?:ni\s+)?(?:un|una|ningun|ninguna|mas)\s+(?:correo|mail|e-?mail"
    r"|mensaje|llamada)s?\s+mas\b",
    r"\b(?:dejen|deje|dejad|deja)\s+de\s+(?:escribirme|enviarme|contactarme|mandarme|"
    r"molestarme|escribirnos|llamarme)",
    r"\bno\s+(?:quiero|deseo|queremos|deseamos)\s+recibir\s+(?:mas|ningun)",
    r"\bno\s+(?:quiero|deseo|queremos)\s+que\s+(?:me|nos)\s+(?:vuelv|escrib|contact|llam|envi|mand)",
    r"\bque\s+(?:me|nos)\s+(?:borren|eliminen|quiten|saquen|retiren|den\s+de\s+baja)\b",
    r"\b(?:quiero|deseo|solicito|pido|quisiera)\s+ser\s+(?:eliminad|borrad|retirad|excluid"
    r"|quitad)[oa]s?\b",
    r"\bno\s+(?:me|nos)\s+(?:vuelv\w+\s+a\s+)?(?:llamen|molesten|contacten|escriban)\s+(?:nunca\s+)?mas\b",
    # Dutch
    r"\bafmeld\w*|\buitschrijv\w*|\buitgeschreven\b",
    r"\bhaal\s+(?:me|mij|ons|mijn\s+\w+)\s+(?:\w+\s+){0,2}?(?:van|uit)\b",
    r"\bverwijder\w*\s+(?:me|mij|ons|mijn)\b",
    r"\bgeen\s+(?:contact|mails?|e-?mails?|berichten)\s+meer\b|\bneem\s+geen\s+contact\b",
    r"\b(?:mail|e-?mail|bel|contacteer|benader)\s+(?:me|mij|ons)\s+(?:\w+\s+)?niet\s+meer\b",
    r"\bniet\s+meer\s+(?:te\s+)?(?:mailen|e-?mailen|benaderen|contacteren|bellen)\b",
    r"\bstop\s+met\s+(?:mailen|e-?mailen|mailtjes|berichten|sturen|benaderen)",
    r"\b(?:wil|willen|wens|graag)\b.{0,40}\b(?:verwijderd|uitgeschreven|afgemeld)\s+"
    r"(?:te\s+)?worden\b",
    r"\b(?:haal|verwijder|schrap)\w*\b.{0,40}\b(?:van|uit)\s+(?:je|jullie|uw|de|het)\s+(?:mailing)?(?:lijst|bestand|database|verzendlijst)\b",
    r"\bniet\s+meer\s+(?:ge)?(?:benaderd|gemaild|gecontacteerd|gebeld)\b",
    # Italian
    r"\bcancellami\b|\bcancellatemi\b|\bdisiscri\w*",
    r"\b(?:cancellate|cancellare|cancelli|rimuovete|rimuovetemi|rimuovere|rimuova|togliete|"
    r"toglietemi|eliminate|eliminatemi)\s+(?:i\s+miei|il\s+mio|la\s+mia|mi|me|dalla|dai)\b",
    r"\bnon\s+(?:mi\s+)?(?:contattatemi|contattarmi|scrivetemi|scrivermi|contattate|scrivete|"
    r"mandatemi|inviatemi|contatti|scriva)\s+(?:piu|ancora)\b",
    r"\b(?:smettete|smettetela|smetta|smettila)\s+di\s+(?:scrivermi|contattarmi|inviarmi|"
    r"mandarmi|scrivere)",
    r"\b(?:rimuovermi|cancellarmi|togliermi|eliminarmi)\b",
    r"\bnon\s+(?:voglio|vogliamo|desidero|desideriamo)\s+piu\s+ricevere\b",
    r"\b(?:voglio|vorrei|desidero|chiedo\s+di|prego\s+di)\s+essere\s+(?:rimoss|cancellat"
    r"|eliminat|tolt)[oaie]\b",
    r"\bnon\s+(?:voglio|vogliamo|desidero|desideriamo)\s+(?:piu\s+)?ricevere\s+"
    r"(?:altre|ulteriori|piu|nessun)",
    r"\bnon\s+(?:mi|ci)\s+(?:contattate|scrivete|mandate|inviate|contatti|scriva)\s+(?:piu|mai)\b",
    r"\b(?:rimuov|cancell|togli|elimin|lev)\w*\b.{0,40}\b(?:dalla|dalle)\s+(?:vostra\s+|vostre\s+|sua\s+)?(?:lista|liste|mailing\s+list|banca\s+dati)",
    # Portuguese
    r"\bdescadastr\w*|\bcancelar\s+(?:a\s+)?(?:minha\s+)?(?:subscricao|inscricao|assinatura)",
    r"\b(?:removam|remova|remover|retirem|tirem|tire|apaguem|apague|excluam|exclua|eliminem)"
    r"(?:-me)?\s+(?:o\s+meu|os\s+meus|a\s+minha|meu|meus|minha|da|do|dos)\b",
    r"\bnao\s+me\s+(?:contacte|contactem|contate|contatem|envie|enviem|mande|mandem|escreva|"
    r"escrevam|liguem)\s+mais\b",
    r"\b(?:parem|pare|deixem|deixe)\s+de\s+(?:me\s+)?(?:mandar|enviar|escrever|contactar|"
    r"contatar|ligar)",
    r"\bnao\s+(?:quero|desejo|queremos)\s+(?:mais\s+)?receber\b",
    r"\b(?:removam|remova|retirem|tirem|apaguem|excluam|eliminem|descadastrem)-me\b",
    r"\b(?:quero|desejo|solicito|gostaria\s+de|peco\s+para)\s+ser\s+(?:removid|excluid|retirad"
    r"|descadastrad|eliminad|apagad)[oa]s?\b",
    r"\b(?:remov|retir|tir|exclu|apag|elimin)\w*\b.{0,40}\b(?:da|das)\s+(?:vossa\s+|sua\s+)?(?:lista|listas|base\s+de\s+dados|mailing)\b",
)

# Erasure of the person's data (GDPR Art. 17, LGPD Art. 18): an opt-out, and a data request.
_ERASURE = compile_phrases(
    r"\bart(?:\.|icle|ikel|iculo|icolo|igo)?\s*17\b|\bright\s+to\s+(?:erasure|be\s+forgotten)\b",
    r"\b(?:delete|erase|purge|wipe)\s+(?:all\s+(?:of\s+)?|any\s+)?(?:my|our)\s+(?:personal\s+)?"
    r"(?:data|details|information|info|records?)\b|\berasure\s+of\b",
    r"\b(?:delete|erase|purge|wipe)\s+(?:all|any|everything|whatever)\b.{0,50}"
    r"\b(?:about|on|of)\s+(?:me|us)\b",
    r"\b(?:delete|erase)\s+(?:me|us|my\s+\w+)\s+from\s+(?:your|the|all\s+your)\s+(?:database|records"
    r"|systems?|crm|files)\b",
    r"\blosch\w*\b.{0,40}\b(?:meine[rn]?|unsere[rn]?)\s+(?:personenbezogenen\s+)?(?:daten|kontaktdaten)"
    r"|\bloschung\s+(?:meiner|aller|unserer|der\s+(?:zu\s+mir|uber\s+mich|meine))"
    r"|\bmeine\s+(?:personenbezogenen\s+)?daten\s+(?:zu\s+)?losch",
    r"\b(?:supprim|effac)\w*\s+(?:l'?\s*ensemble\s+de\s+|toutes\s+)?(?:mes|nos)\s+(?:donnees"
    r"|coordonnees|informations)|\b(?:effacement|suppression)\s+(?:de|des)\b.{0,40}\bdonnees"
    r"|\bdroit\s+a\s+l'?\s*(?:effacement|oubli)\b",
    r"\b(?:borr|elimin|suprim)\w*\s+(?:todos\s+)?(?:mis|nuestros)\s+datos\b"
    r"|\b(?:supresion|eliminacion|borrado|cancelacion)\s+de\s+(?:todos\s+)?(?:mis|los)\s+datos"
    r"|\bderecho\s+(?:de\s+supresion|al\s+olvido)\b"
    r"|\b(?:borr|elimin|suprim)\w*\b.{0,20}\bde\s+(?:su|vuestra|la)\s+base\s+de\s+datos\b",
    r"\bverwijder\w*\s+(?:al\s+)?(?:mijn|onze)\s+(?:persoons)?gegevens\b"
    r"|\bverwijdering\s+van\s+(?:al\s+)?(?:mijn|de|onze)\s+(?:persoons)?gegevens\b"
    r"|\b(?:mijn|onze)\s+(?:persoons)?gegevens\s+(?:te\s+)?(?:verwijderen|wissen)\b"
    r"|\brecht\s+op\s+(?:verwijdering|vergetelheid)\b",
    r"\b(?:cancell|elimin|rimuov)\w*\s+(?:tutti\s+)?(?:i\s+)?(?:miei|nostri)\s+dati\b"
    r"|\bcancellazione\s+(?:di\s+tutti\s+)?(?:dei|di\s+tutti\s+i)\s+(?:miei\s+)?dati\b"
    r"|\bdiritto\s+(?:all'?\s*oblio|alla\s+cancellazione)\b",
    r"\b(?:apag|elimin|exclu|remov)\w*\s+(?:todos\s+)?(?:os\s+)?(?:meus|nossos)\s+dados\b"
    r"|\b(?:eliminacao|exclusao|apagamento|remocao)\s+(?:de\s+todos\s+)?(?:os\s+|dos\s+)?"
    r"(?:meus\s+)?dados\b|\bdireito\s+(?:ao\s+apagamento|a\s+eliminacao|ao\s+esquecimento)\b",
)
_SENTENCE = re.compile(r"[.!?;\n]+")
# The phrase rules a negation or a channel preference can set aside, in the order they decide.
_SCOPED = (
    ("unsubscribe.gdpr", _GDPR_OBJECTION),
    ("unsubscribe.request", _REQUEST),
    ("unsubscribe.gdpr", _ERASURE),
    ("unsubscribe.complaint", _COMPLAINT),
)


@dataclass(frozen=True)
class OptOutReading:
    """The opt-out phrase that decides, and the phrases read as none (negated, a preference)."""

    match: PhraseMatch | None
    set_aside: tuple[str, ...] = ()


def opt_out(subject: str, written: str) -> PhraseMatch | None:
    """Return the opt-out phrase in a reply's subject or written text, None when there is none."""
    return read_opt_out(subject, written).match


# The rules and the model each read a reply's phrases: the second reading is the first's.
PER_REPLY = 16


@lru_cache(maxsize=PER_REPLY)
def read_opt_out(subject: str, written: str) -> OptOutReading:
    """Find the opt-out phrase that decides, and say which phrases were not meant and why."""
    return _read_opt_out(subject, written)


def holds_opt_out(text: str) -> bool:
    """Whether a part of a reply holds an opt-out phrase that is meant (not cached: parts
    would push whole replies out of `read_opt_out`'s cache)."""
    return _read_opt_out("", text).match is not None


def erasure(written: str) -> PhraseMatch | None:
    """Return the words asking to erase the person's data (GDPR Art. 17), None if none are
    meant ("you don't need to delete my data")."""
    text = fold(written)
    for match in _ERASURE.finditer(text):
        if scope.set_aside(text, match.start(), match.end()) is None:
            return PhraseMatch("data_request.erasure", match.group(0).strip())
    return None


def _read_opt_out(subject: str, written: str) -> OptOutReading:
    if match := _SUBJECT.search(fold(subject)):
        return OptOutReading(PhraseMatch("unsubscribe.subject", match.group(0).strip()))
    text = fold(written)
    aside: list[str] = []
    for rule, pattern in _SCOPED:
        for match in pattern.finditer(text):
            why = scope.set_aside(text, match.start(), match.end())
            if why is None:
                return OptOutReading(PhraseMatch(rule, match.group(0).strip()), tuple(aside))
            aside.append(why)
    if match := _BARE.match(text):
        return OptOutReading(PhraseMatch("unsubscribe.request", match.group(0).strip()))
    for sentence in _SENTENCE.split(text):
        if (match := _NEVER_ASKED.search(sentence)) and _MAIL_WORDS.search(sentence):
            return OptOutReading(
                PhraseMatch("unsubscribe.complaint", sentence.strip()[:80]), tuple(aside)
            )
    return OptOutReading(None, tuple(aside))


# A reply meant for someone else, or from someone who does not know us: it decides nothing.
_MISDIRECTED = compile_phrases(*languages.gather(lambda pack: pack.misdirected.phrases))
# Longer than this, a reply says more than that it went astray.
MISDIRECTED_CHARS = 240


def misdirected(written: str) -> PhraseMatch | None:
    """Return the words of a short reply saying it reached the wrong person, or None."""
    if len(written) > MISDIRECTED_CHARS:
        return None
    if match := _MISDIRECTED.search(fold(written)):
        return PhraseMatch("other.misdirected", match.group(0).strip())
    return None
