"""Realistic inbound replies for benchmarks: the header sets real clients and servers write.

Gmail, Outlook (Exchange Online) and Apple Mail replies as they reach a mailbox:
a Received chain, SPF/DKIM/ARC results, the client's own X- headers, a
multipart/alternative body and, for some, an attachment. Threading headers are
passed in by the caller.
"""

from __future__ import annotations

import base64
import random

__all__ = ["realistic_reply"]

_DKIM = (
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=20230601;\r\n"
    " t=1709460718; x=1710065518; darn=example.com;\r\n"
    " h=to:subject:message-id:date:from:in-reply-to:references:mime-version\r\n"
    "         :from:to:cc:subject:date:message-id:reply-to;\r\n"
    " bh=Q2hhbmdlIHRoaXMgaWYgeW91IGNoYW5nZSB0aGUgYm9keSBwbGVhc2U=;\r\n"
    " b=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9v\r\n"
    "         YmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy\r\n"
    "         YmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6\r\n"
)
_ARC = (
    "ARC-Seal: i=1; a=rsa-sha256; t=1709460719; cv=none; d=google.com; s=arc-20160816;\r\n"
    " b=aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8g\r\n"
    "         d29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29y==\r\n"
    "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20160816;\r\n"
    "        h=to:subject:message-id:date:from:in-reply-to:references:mime-version\r\n"
    "         :dkim-signature;\r\n"
    "        bh=Q2hhbmdlIHRoaXMgaWYgeW91IGNoYW5nZSB0aGUgYm9keSBwbGVhc2U=;\r\n"
    "        b=c2lnbmF0dXJlIHNpZ25hdHVyZSBzaWduYXR1cmUgc2lnbmF0dXJlIHNpZ25hdHVyZSBz\r\n"
    "ARC-Authentication-Results: i=1; mx.google.com;\r\n"
    "       dkim=pass header.i=@{domain} header.s=20230601 header.b=Zm9vYmFy;\r\n"
    "       spf=pass (google.com: domain of {sender} designates 209.85.220.41 as permitted sender)"
    " smtp.mailfrom={sender};\r\n"
    "       dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from={domain}\r\n"
)
_RECEIVED = (
    "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.{n}])\r\n"
    "        by mx.google.com with SMTPS id a{n}sor{n}.2026.03.03.02.11.58\r\n"
    "        for <sales@example.com>\r\n"
    "        (Google Transport Security);\r\n"
    "        Tue, 03 Mar 2026 02:11:58 -0800 (PST)\r\n"
)
_OUTLOOK = (
    "Thread-Topic: {topic}\r\n"
    "Thread-Index: AQHaXyZ1abcdefghijklmnopqrstuvwxyzABCDEFGHIJ==\r\n"
    "Accept-Language: en-US\r\nContent-Language: en-US\r\nX-MS-Has-Attach: \r\n"
    "X-MS-TNEF-Correlator: \r\nmsip_labels: \r\n"
    "x-ms-publictraffictype: Email\r\nx-ms-traffictypediagnostic: DB7PR03MB4972:EE_|AM0PR03MB5891:EE_\r\n"
    "x-ms-office365-filtering-correlation-id: 4b5c6d7e-8f90-1a2b-3c4d-5e6f7a8b9c0d\r\n"
    "x-ms-exchange-senderadcheck: 1\r\nx-ms-exchange-antispam-relay: 0\r\n"
    "x-microsoft-antispam: BCL:0;ARA:13230031|1800799015|366007|376005;\r\n"
    "x-microsoft-antispam-message-info:\r\n"
    " aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8g\r\n"
    " d29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29y==\r\n"
    "x-forefront-antispam-report:\r\n"
    " CIP:255.255.255.255;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:DB7PR03MB4972.eurprd03.prod.outlook.com;\r\n"
    "X-MS-Exchange-CrossTenant-AuthAs: Internal\r\n"
    "X-MS-Exchange-CrossTenant-AuthSource: DB7PR03MB4972.eurprd03.prod.outlook.com\r\n"
    "X-MS-Exchange-CrossTenant-Network-Message-Id: 4b5c6d7e-8f90-1a2b-3c4d-5e6f7a8b9c0d\r\n"
    "X-MS-Exchange-CrossTenant-originalarrivaltime: 03 Mar 2026 10:11:58.1234 (UTC)\r\n"
    "X-MS-Exchange-CrossTenant-fromentityheader: Hosted\r\n"
    "X-MS-Exchange-CrossTenant-id: 1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d\r\n"
    "X-MS-Exchange-CrossTenant-mailboxtype: HOSTED\r\n"
    "X-MS-Exchange-CrossTenant-userprincipalname: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=\r\n"
    "X-MS-Exchange-Transport-CrossTenantHeadersStamped: AM0PR03MB5891\r\n"
    "X-OriginatorOrg: {domain}\r\n"
)
_APPLE = "X-Mailer: iPhone Mail (21D61)\r\nContent-Transfer-Encoding: 7bit\r\n"
_SENTENCES = [
    "Thanks for reaching out, this looks interesting.",
    "Could you send me the pricing for a team of twelve?",
    "We are reviewing vendors this quarter and would like a demo.",
    "Please call me on Thursday afternoon if that works for you.",
    "I have forwarded this to our procurement team as well.",
]


def realistic_reply(
    rng: random.Random,
    *,
    number: int,
    sender: str,
    subject: str,
    threading: str,
    attachment_ratio: float = 0.1,
) -> bytes:
    """One reply from ``sender`` as delivered to sales@example.com; ``threading`` is header lines."""
    client = number % 3
    domain = sender.rpartition("@")[2]
    text = " ".join(rng.choice(_SENTENCES) for _ in range(rng.randint(2, 12)))
    quoted = "\r\n".join("> " + rng.choice(_SENTENCES) for _ in range(rng.randint(5, 40)))
    plain = f"{text}\r\n\r\nOn Mon, 2 Mar 2026 at 09:00, Sales <sales@example.com> wrote:\r\n{quoted}\r\n"
    html = f'<html><body><div dir="ltr">{text}</div><blockquote>{quoted}</blockquote></body></html>'
    headers = "Delivered-To: sales@example.com\r\n"
    headers += "".join(_RECEIVED.format(n=(number + k) % 250) for k in range(3))
    headers += _ARC.format(domain=domain, sender=sender)
    headers += f"Return-Path: <{sender}>\r\nReceived-SPF: pass (google.com: domain of {sender} designates 209.85.220.41 as permitted sender) client-ip=209.85.220.41;\r\n"
    headers += f"Authentication-Results: mx.google.com;\r\n       dkim=pass header.i=@{domain};\r\n       spf=pass smtp.mailfrom={sender};\r\n       dmarc=pass header.from={domain}\r\n"
    headers += _DKIM.format(domain=domain)
    if client == 1:
        headers += _OUTLOOK.format(topic=subject.removeprefix("Re: "), domain=domain)
    elif client == 2:
        headers += _APPLE
    else:
        headers += "X-Gm-Message-State: AOJu0YwAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdef\r\n"
        headers += "X-Google-Smtp-Source: AGHT+IFabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH==\r\n"
        headers += "X-Received: by 2002:a05:6402:1234:b0:55f:1234:5678 with SMTP id a1-20020a05640212340000b0055f12345678mr1234567edb.12.1709460718123;\r\n        Tue, 03 Mar 2026 02:11:58 -0800 (PST)\r\n"
    headers += (
        f"MIME-Version: 1.0\r\n{threading}From: Contact Person <{sender}>\r\n"
        f"Date: Tue, 3 Mar 2026 11:11:47 +0100\r\nMessage-ID: <reply-{number}@{domain}>\r\n"
        f"Subject: {subject}\r\nTo: Sales <sales@example.com>\r\n"
    )
    alternative = (
        '--alt\r\nContent-Type: text/plain; charset="UTF-8"\r\n\r\n'
        f'{plain}\r\n--alt\r\nContent-Type: text/html; charset="UTF-8"\r\n\r\n{html}\r\n--alt--\r\n'
    )
    if rng.random() >= attachment_ratio:
        return (
            headers + 'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n' + alternative
        ).encode()
    blob = (
        base64.encodebytes(rng.randbytes(rng.randint(20_000, 280_000)))
        .decode()
        .replace("\n", "\r\n")
    )
    return (
        headers
        + 'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n'
        + 'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        + alternative
        + '--mix\r\nContent-Type: application/pdf; name="quote.pdf"\r\n'
        + 'Content-Disposition: attachment; filename="quote.pdf"\r\n'
        + "Content-Transfer-Encoding: base64\r\n\r\n"
        + blob
        + "--mix--\r\n"
    ).encode()
