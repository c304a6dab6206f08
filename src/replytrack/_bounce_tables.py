"""Vocabulary of delivery failures written as text, for :mod:`replytrack.autoreply`.

Non-delivery reports that carry no ``message/delivery-status`` part are told by their
sender (an MTA address, a null Return-Path), their subject and their wording, which
servers write in the language they are set up in. Every row names its language and
where the wording comes from: the server's own templates (Postfix ``bounce(5)``, Exim,
qmail, Sendmail, Courier's ``courierdsn``, Domino), Exchange and Exchange Online's
localised reports, hosted providers, security gateways, and the formats the bounce
parsers sisimai (``lib/Sisimai/Lhost/*.pm``) and flufl.bounce document. Tables are
case-folded when built, as the text they are compared with is.
"""

from __future__ import annotations

__all__ = [
    "BOUNCE_PHRASES",
    "BOUNCE_SUBJECT_PHRASES",
    "BOUNCE_SUBJECT_PREFIXES",
    "DELAY_PHRASES",
    "DELAY_SUBJECT_WORDS",
    "GATEWAY_LOCALPARTS",
    "GATEWAY_SUBJECTS",
    "STRONG_BOUNCE_PHRASES",
]

# (phrase, strong, language, source). Strong: a sentence only a report writes (a
# server's template), enough beside a null Return-Path. The others name a failure in
# words a person could use too ("user unknown"), and count only from an MTA sender.
_PHRASES: tuple[tuple[str, bool, str, str], ...] = (
    # -- English: the MTAs' own templates ---------------------------------------------------
    ("created automatically by mail delivery software", True, "en", "Exim, GMX, 1&1, Mail.ru"),
    ("could not be delivered to one or more of its recipients", True, "en", "Exim"),
    ("the following address(es) failed", True, "en", "Exim"),
    ("this is the mail system at host", True, "en", "Postfix bounce(5)"),
    ("i'm sorry to have to inform you that your message could not", True, "en", "Postfix"),
    ("this is the qmail-send program", True, "en", "qmail-send"),
    ("wasn't able to deliver your message", True, "en", "qmail-send"),
    ("below this line is a copy of the message", True, "en", "qmail-send"),
    ("the original message was received at", True, "en", "Sendmail"),
    ("permanent fatal errors", True, "en", "Sendmail"),
    ("transcript of session follows", True, "en", "Sendmail"),
    ("delivery to the following recipient failed", True, "en", "Gmail"),
    ("delivery to the following recipients failed", True, "en", "Gmail, older Exchange"),
    ("did not reach some or all of the intended recipients", True, "en", "Exchange 2000/2003"),
    ("did not reach the following recipient", True, "en", "Exchange 5.5-2003"),
    ("delivery has failed to these recipients", True, "en", "Exchange 2007-2019, Exchange Online"),
    ("diagnostic information for administrators", True, "en", "Exchange 2007+, Exchange Online"),
    ("original message headers:", True, "en", "Exchange 2007+, Exchange Online"),
    ("remote server returned '", True, "en", "Exchange 2007+"),
    ("couldn't be delivered to", True, "en", "Exchange Online 2017+ reports"),
    ("unable to deliver message to the following address", True, "en", "Yahoo, sisimai X2"),
    ("your message to the following recipients cannot be delivered", True, "en", "Courier"),
    ("delays in delivering your message", True, "en", "Courier delay notice"),
    ("not listed in domino directory", True, "en", "Domino"),
    ("not listed in public name & address book", True, "en", "Lotus Notes"),
    ("------- failure reasons", True, "en", "Lotus Notes"),
    ("this is the deliver program at", True, "en", "EYOU MTA (flufl.bounce)"),
    ("failed addresses follow:", True, "en", "Smail 3, T-Online"),
    ("the following recipient(s) could not be reached", True, "en", "flufl.bounce simplematch"),
    ("does not like recipient", True, "en", "qmail-remote"),
    ("sorry, no mailbox here by that name", True, "en", "qmail-local"),
    # -- English: failure words -------------------------------------------------------------
    ("could not be delivered", False, "en", "most MTAs and gateways"),
    ("couldn't be delivered", False, "en", "Exchange Online"),
    ("unable to deliver", False, "en", "Trend Micro, MXLogic, older MTAs"),
    ("undeliverable", False, "en", "Exchange, IMail, Amavis"),
    ("delivery failed", False, "en", "MXLogic, Zoho, Exim"),
    ("delivery has failed", False, "en", "Exchange"),
    ("message not delivered", False, "en", "Gmail 2020+ reports"),
    ("address not found", False, "en", "Gmail 2020+ reports"),
    ("user unknown", False, "en", "Sendmail, Postfix"),
    ("unknown user", False, "en", "many"),
    ("no such user", False, "en", "many"),
    ("invalid recipient", False, "en", "many"),
    ("recipient address rejected", False, "en", "Postfix"),
    ("mailbox unavailable", False, "en", "RFC 5321 550 text"),
    ("mailbox is full", False, "en", "many"),
    ("quota exceeded", False, "en", "many"),
    ("over quota", False, "en", "many"),
    ("unrouteable address", False, "en", "Exim"),
    ("retry timeout exceeded", False, "en", "Exim"),
    ("host or domain name not found", False, "en", "Postfix"),
    # -- German -----------------------------------------------------------------------------
    ("fehler bei der zustellung an folgende empfänger oder gruppen", True, "de", "Exchange de"),
    ("diagnoseinformationen für administratoren", True, "de", "Exchange de"),
    ("ursprüngliche nachrichtenkopfzeilen", True, "de", "Exchange de"),
    ("ihre nachricht hat einige oder alle empfänger nicht erreicht", True, "de", "Exchange de"),
    ("konnte nicht zugestellt werden", False, "de", "Exchange de, T-Online, Yahoo de"),
    ("nicht zugestellt", False, "de", "Exchange de, hosted providers"),
    ("unzustellbar", False, "de", "Exchange de"),
    ("zustellung fehlgeschlagen", False, "de", "hosted providers"),
    ("empfänger unbekannt", False, "de", "hosted providers"),
    ("unbekannter empfänger", False, "de", "hosted providers"),
    ("postfach ist voll", False, "de", "hosted providers"),
    # -- French -----------------------------------------------------------------------------
    ("échec de la remise à ces destinataires ou groupes", True, "fr", "Exchange fr"),
    ("informations de diagnostic pour les administrateurs", True, "fr", "Exchange fr"),
    ("en-têtes de message d'origine", True, "fr", "Exchange fr"),
    ("n'a pas atteint certains ou la totalité de ses destinataires", True, "fr", "Exchange fr"),
    ("n'a pas pu être remis", False, "fr", "Exchange fr"),
    ("n'a pas pu etre delivre", False, "fr", "French gateways (unaccented)"),
    ("n'a pas pu être délivré", False, "fr", "Orange, Free, French gateways"),
    ("n'a pas pu être distribué", False, "fr", "French hosted providers"),
    ("destinataire inconnu", False, "fr", "hosted providers"),
    ("utilisateur inconnu", False, "fr", "hosted providers"),
    ("boîte aux lettres pleine", False, "fr", "hosted providers"),
    # -- Spanish ----------------------------------------------------------------------------
    ("no se pudo entregar a estos destinatarios o grupos", True, "es", "Exchange es"),
    ("información de diagnóstico para administradores", True, "es", "Exchange es"),
    ("encabezados de mensaje originales", True, "es", "Exchange es"),
    ("no se pudo entregar", False, "es", "Exchange es"),
    ("no se puede entregar", False, "es", "Exchange es"),
    ("no pudo ser entregado", False, "es", "hosted providers"),
    ("destinatario desconocido", False, "es", "hosted providers"),
    ("usuario desconocido", False, "es", "hosted providers"),
    ("buzón lleno", False, "es", "hosted providers"),
    # -- Italian ----------------------------------------------------------------------------
    ("recapito non riuscito a questi destinatari o gruppi", True, "it", "Exchange it"),
    ("informazioni di diagnostica per gli amministratori", True, "it", "Exchange it"),
    ("non è stato possibile recapitare", False, "it", "Exchange it"),
    ("impossibile recapitare", False, "it", "Libero, Aruba, gateways"),
    ("non recapitabile", False, "it", "Exchange it"),
    ("utente sconosciuto", False, "it", "hosted providers"),
    ("destinatario sconosciuto", False, "it", "hosted providers"),
    ("casella piena", False, "it", "hosted providers"),
    # -- Dutch ------------------------------------------------------------------------------
    ("kan niet worden bezorgd bij de volgende geadresseerden", True, "nl", "Exchange Online nl"),
    ("diagnostische gegevens voor beheerders", True, "nl", "Exchange Online nl"),
    ("oorspronkelijke berichtkoppen", True, "nl", "Exchange Online nl"),
    ("kon niet worden bezorgd", False, "nl", "Exchange nl"),
    ("kan niet worden bezorgd", False, "nl", "Exchange Online nl"),
    ("onbestelbaar", False, "nl", "Exchange nl"),
    ("onbekende gebruiker", False, "nl", "hosted providers"),
    # -- Portuguese -------------------------------------------------------------------------
    ("falha na entrega a estes destinatários ou grupos", True, "pt", "Exchange Online pt"),
    ("informações de diagnóstico para administradores", True, "pt", "Exchange Online pt"),
    ("cabeçalhos originais da mensagem", True, "pt", "Exchange Online pt"),
    ("não foi possível entregar", False, "pt", "Exchange pt-BR"),
    ("não entregue", False, "pt", "Exchange Online pt"),
    ("usuário desconhecido", False, "pt", "UOL, Terra"),
    ("utilizador desconhecido", False, "pt", "SAPO, Portuguese providers"),
    ("caixa postal cheia", False, "pt", "UOL, Terra"),
    # -- Polish -----------------------------------------------------------------------------
    ("informacje diagnostyczne dla administratorów", True, "pl", "Exchange pl"),
    ("nie mogła zostać dostarczona", False, "pl", "WP, Onet, Interia"),
    ("nie została dostarczona", False, "pl", "WP, Onet, Interia"),
    ("nie można dostarczyć", False, "pl", "Exchange pl"),
    ("nie udało się dostarczyć", False, "pl", "Exchange pl"),
    ("nieznany użytkownik", False, "pl", "hosted providers"),
    # -- Czech and Slovak -------------------------------------------------------------------
    ("diagnostické informace pro správce", True, "cs", "Exchange cs"),
    ("nelze doručit", False, "cs", "Exchange cs, Seznam"),
    ("nebyla doručena", False, "cs", "Seznam, Centrum"),
    ("nemohla být doručena", False, "cs", "Seznam, Centrum"),
    ("nedoručitelné", False, "cs", "Exchange cs"),
    ("neznámý příjemce", False, "cs", "hosted providers"),
    ("nedoručiteľné", False, "sk", "Exchange sk"),
    ("nebolo možné doručiť", False, "sk", "Exchange sk"),
    # -- Scandinavian and Finnish -----------------------------------------------------------
    ("diagnostisk information för administratörer", True, "sv", "Exchange sv"),
    ("kunde inte levereras", False, "sv", "Exchange sv"),
    ("det gick inte att leverera", False, "sv", "Exchange Online sv"),
    ("olevererbart", False, "sv", "Exchange sv"),
    ("okänd mottagare", False, "sv", "hosted providers"),
    ("kunne ikke leveres", False, "da", "Exchange da, nb"),
    ("kunne ikke afleveres", False, "da", "Danish hosted providers"),
    ("ukendt modtager", False, "da", "hosted providers"),
    ("ukjent mottaker", False, "no", "hosted providers"),
    ("ei voitu toimittaa", False, "fi", "Exchange fi"),
    ("toimitus epäonnistui", False, "fi", "Exchange Online fi"),
    ("tuntematon vastaanottaja", False, "fi", "hosted providers"),
    # -- Japanese ---------------------------------------------------------------------------
    ("ディレクトリのリストにありません", True, "ja", "Lotus Notes ja (sisimai Notes)"),
    ("domino ディレクトリには見つかりません", True, "ja", "Domino ja (sisimai Domino)"),
    ("メッセージを配信できません", True, "ja", "Trend Micro InterScan MSS ja"),
    ("メール配信に失敗しました", True, "ja", "Trend Micro InterScan MSS ja"),
    ("配信できませんでした", False, "ja", "Exchange ja, Japanese providers"),
    ("送信できませんでした", False, "ja", "Japanese carriers and providers"),
    ("配信に失敗しました", False, "ja", "Japanese providers"),
    ("配信不能", False, "ja", "Exchange ja"),
    ("宛先不明", False, "ja", "docomo, au, SoftBank, Japanese providers"),
    # -- Chinese ----------------------------------------------------------------------------
    ("无法投递", False, "zh", "NetEase 163/126, QQ Mail"),
    ("无法传递", False, "zh", "Exchange zh-CN"),
    ("投递失败", False, "zh", "QQ Mail, Sina"),
    ("系统退信", False, "zh", "NetEase 163/126"),
    ("收件人不存在", False, "zh", "QQ Mail, NetEase"),
    ("無法傳遞", False, "zh-tw", "Exchange zh-TW"),
    ("無法投遞", False, "zh-tw", "Taiwanese and Hong Kong providers"),
    ("傳遞失敗", False, "zh-tw", "Exchange zh-TW"),
    # -- Korean -----------------------------------------------------------------------------
    ("배달하지 못했습니다", False, "ko", "Exchange ko"),
    ("배달 못 함", False, "ko", "Exchange ko"),
    ("전송 실패", False, "ko", "Naver, Daum"),
    ("수신자를 찾을 수 없습니다", False, "ko", "Naver, Daum"),
    # -- Russian, Ukrainian and others ------------------------------------------------------
    ("это письмо создано автоматически", True, "ru", "Mail.ru (sisimai MailRu)"),
    ("ваше письмо не может быть", True, "ru", "Mail.ru (sisimai MailRu)"),
    ("не может быть доставлено", False, "ru", "Exchange ru, Yandex"),
    ("не удалось доставить", False, "ru", "Exchange ru, Yandex"),
    ("не доставлено", False, "ru", "Russian providers"),
    ("не вдалося доставити", False, "uk", "Exchange uk"),
    ("teslim edilemedi", False, "tr", "Exchange tr"),
    ("kézbesíthetetlen", False, "hu", "Exchange hu"),
    ("nem sikerült kézbesíteni", False, "hu", "Exchange hu"),
    ("nu a putut fi livrat", False, "ro", "Exchange ro"),
    ("nije moguće isporučiti", False, "hr", "Exchange hr"),
    ("δεν ήταν δυνατή η παράδοση", False, "el", "Exchange el"),
)

BOUNCE_PHRASES: tuple[str, ...] = tuple(p.casefold() for p, _, _, _ in _PHRASES)
STRONG_BOUNCE_PHRASES: tuple[str, ...] = tuple(p.casefold() for p, s, _, _ in _PHRASES if s)

# What a delay warning (a report that the server keeps trying) writes.
DELAY_PHRASES: tuple[str, ...] = tuple(
    p.casefold()
    for p in (
        "this is a warning message only",  # Exim
        "will continue trying",
        "will keep trying",  # Gmail
        "will retry",
        "not yet been delivered",  # Sendmail
        "has been delayed",
        "delivery is delayed",  # Exchange
        "still being retried",
        "no action is required on your part",  # Exim
        "delays in delivering your message",  # Courier
        "es wird weiterhin versucht",  # Exchange de
        "wird erneut versucht",
        "nouvelle tentative",  # Exchange fr
        "se seguirá intentando",  # Exchange es
        "verrà ritentato",  # Exchange it
        "opnieuw geprobeerd",  # Exchange nl
        "再送を試みます",  # Japanese providers
    )
)
DELAY_SUBJECT_WORDS: tuple[str, ...] = tuple(
    w.casefold()
    for w in (
        "delay", "delayed", "warning", "still being retried", "verzögert", "retard", "retrasad",
        "ritardat", "vertraagd", "atrasad", "opóźnion", "zpožděn", "försenad", "forsinket",
        "viivästyn", "遅延", "延迟", "延遲", "지연", "задерж",
    )
)  # fmt: skip

# Subject prefixes (text before the first colon) of non-delivery reports, by language:
# (prefix, language, source). Decide alone when the subject is not a reply's.
_SUBJECT_PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("Undeliverable", "en", "Exchange, Exchange Online, AOL"),
    ("Undeliverable mail", "en", "Amavis, MailMarshal, IMail"),
    ("Undeliverable message", "en", "Lotus Notes, Verizon"),
    ("Undelivered Mail Returned to Sender", "en", "Postfix"),
    ("Undelivered Mail", "en", "Postfix, SendGrid"),
    ("Delivery Status Notification (Failure)", "en", "Gmail, Exchange"),
    ("Delivery Status Notification (Delay)", "en", "Gmail, Exchange"),
    ("Delivery Status Notification", "en", "Gmail, Exchange"),
    ("Mail delivery failed", "en", "Exim, GMX, 1&1, Mail.ru"),
    ("Mail delivery failure", "en", "MessageLabs"),
    ("Mail failure - no recipient addresses", "en", "Exim"),
    ("Delivery failure", "en", "Domino ('DELIVERY FAILURE'), sisimai X2"),
    ("Delivery failed", "en", "various"),
    ("Failure notice", "en", "qmail, Yahoo"),
    ("Returned mail", "en", "Sendmail, Biglobe, AOL"),
    ("Non-delivery", "en", "various"),
    ("Nondeliverable mail", "en", "various"),
    ("Delivery notification", "en", "Sun Messaging Server"),
    ("Message delivery failure", "en", "MailFoundry"),
    ("Delayed Mail (still being retried)", "en", "Exchange 2003"),
    ("Postmaster notify", "en", "Sendmail"),
    ("Message not delivered", "en", "Gmail 2020+"),
    ("Address not found", "en", "Gmail 2020+"),
    ("Unzustellbar", "de", "Exchange de"),
    ("Nicht zustellbar", "de", "German gateways"),
    ("Zustellung nicht möglich", "de", "Yahoo Mail de (help page)"),
    ("Non remis", "fr", "Exchange fr"),
    ("Non distribuable", "fr", "French gateways"),
    ("Onbestelbaar", "nl", "Exchange nl (sisimai Office365)"),
    ("Non recapitabile", "it", "Exchange it"),
    ("No se puede entregar", "es", "Exchange es"),
    ("No entregado", "es", "Spanish providers"),
    ("Não é possível entregar", "pt", "Exchange pt-BR"),
    ("Não entregue", "pt", "Exchange Online pt (sisimai Office365)"),
    ("Olevererbart", "sv", "Exchange sv"),
    ("Kan inte levereras", "sv", "Exchange Online sv"),
    ("Kan ikke leveres", "da", "Exchange da, nb"),
    ("Ei voitu toimittaa", "fi", "Exchange fi"),
    ("Nie można dostarczyć", "pl", "Exchange pl"),
    ("Niedostarczalne", "pl", "Exchange Online pl"),
    ("Nedoručitelné", "cs", "Exchange cs"),
    ("Nedoručiteľné", "sk", "Exchange sk"),
    ("Kézbesíthetetlen", "hu", "Exchange hu"),
    ("Teslim edilemedi", "tr", "Exchange tr"),
    ("Nu se poate livra", "ro", "Exchange ro"),
    ("Ανεπίδοτο", "el", "Exchange el"),
    ("Не доставлено", "ru", "Exchange ru"),
    ("Недоставленное сообщение", "ru", "Russian providers"),
    ("Не вдалося доставити", "uk", "Exchange uk"),
    ("配信不能", "ja", "Exchange ja"),
    ("メッセージを配信できません。", "ja", "Trend Micro InterScan MSS ja"),
    ("无法传递", "zh", "Exchange zh-CN"),
    ("系统退信", "zh", "NetEase 163/126"),
    ("無法傳遞", "zh-tw", "Exchange zh-TW"),
    ("배달 못 함", "ko", "Exchange ko"),
)
BOUNCE_SUBJECT_PREFIXES: dict[str, str] = {
    prefix.casefold(): lang for prefix, lang, _ in _SUBJECT_PREFIXES
}

# Phrases inside a subject that name a delivery failure; they decide only with an MTA
# sender or an MTA's wording in the text (a person may reply to such a subject).
BOUNCE_SUBJECT_PHRASES: tuple[str, ...] = tuple(
    p.casefold()
    for p in (
        "delivery failed", "delivery failure", "undeliverable", "undelivered mail",
        "returned mail", "delivery status notification", "non remis", "unzustellbar",
        "delivery has failed", "could not be delivered", "failure notice", "delayed",
        "warning: message", "mail delivery status", "could not send message for past",
        "message not delivered", "nicht zustellbar", "zustellung nicht möglich",
        "onbestelbaar", "non recapitabile", "no se puede entregar", "não entregue",
        "olevererbart", "kan ikke leveres", "nedoručitelné", "配信不能", "无法传递",
        "無法傳遞", "배달 못 함", "не доставлено",
    )
)  # fmt: skip

# Security gateways and spam firewalls tell the sender a message was blocked or held:
# (subject phrase, held) where held means quarantined (it may still be released).
GATEWAY_SUBJECTS: tuple[tuple[str, bool], ...] = tuple(
    (phrase.casefold(), held)
    for phrase, held in (
        ("blocked by our bulk email filter", False),  # Barracuda
        ("message blocked", False),  # Cisco, Sophos, Gmail
        ("message you sent blocked", False),  # Barracuda
        ("email blocked", False),
        ("message rejected", False),
        ("your message was blocked", False),
        ("mail could not be delivered", False),  # Trend Micro InterScan
        ("nachricht blockiert", False),
        ("e-mail blockiert", False),
        ("message bloqué", False),
        ("mensaje bloqueado", False),
        ("messaggio bloccato", False),
        ("bericht geblokkeerd", False),
        ("mensagem bloqueada", False),
        ("quarantined", True),  # Proofpoint, Symantec, Sophos, Mimecast
        ("quarantine", True),
        ("held for review", True),
        ("in quarantäne", True),
        ("mis en quarantaine", True),
        ("en cuarentena", True),
        ("in quarantena", True),
        ("in quarantaine", True),
        ("em quarentena", True),
        ("隔離", True),  # Japanese and Chinese gateways
    )
)
# Local parts gateways send their notices from, beside the MTA and no-reply ones.
GATEWAY_LOCALPARTS = frozenset(
    {"quarantine", "spamfilter", "mailscanner", "mailsecurity", "emailsecurity", "antispam"}
)
