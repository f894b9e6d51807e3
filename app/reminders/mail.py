"""E-mail through the configured SMTP relay (`SMTP_URL`, sender `SMTP_FROM`).

Each message is a durable job (`email.send`), queued in the transaction of what it tells, so
that it exists exactly when that commits, and retried with backoff while the relay is down;
after its last attempt it is kept `dead` for an administrator to retry. With no `SMTP_URL`,
e-mail is off: nothing is queued, and the worker says so at start-up.

`smtp://[user:pass@]host[:port]` (port 25) upgrades with STARTTLS when the relay offers it;
`smtps://` (port 465) is TLS from the start. Credentials are never sent unencrypted, except to
a relay on this machine (a loopback address).
"""

import ipaddress
import logging
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import unquote, urlsplit

from sqlmodel import Session

from app.core.settings import Settings
from app.jobs.queue import enqueue, exponential
from app.jobs.worker import JobContext, JobKind

log = logging.getLogger(__name__)

SEND = "email.send"
ATTEMPTS = 8  # over about 18 hours: 1, 3, 9, 27, 81, 243 and 729 minutes apart
DELAYS = exponential(60.0, ATTEMPTS, factor=3.0)
TIMEOUT_S = 30.0
PORTS = {"smtp": 25, "smtps": 465}
LOOPBACK_NAMES = frozenset({"localhost"})


class MailRefused(RuntimeError):
    """The relay cannot be used as configured (the job fails and is retried, then kept)."""


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> "Relay":
        """`SMTP_URL`; ValueError naming what is wrong (never echoing a password)."""
        parts = urlsplit(url)
        if parts.scheme not in PORTS:
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("SMTP_URL names no host")
        try:
            port = parts.port or PORTS[parts.scheme]
        except ValueError:
            raise ValueError("SMTP_URL has an invalid port") from None
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def is_loopback(self) -> bool:
        if self.host in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def startup_notice(settings: Settings) -> None:
    """Say once, as a worker starts, that e-mail is off; refuse a malformed `SMTP_URL`."""
    if not settings.smtp_url:
        log.warning("e-mail is off: SMTP_URL is not set")
        return
    Relay.parse(settings.smtp_url)


def queue_mail(
    db: Session,
    settings: Settings,
    *,
    to: Iterable[str],
    subject: str,
    body: str,
    about: tuple[str, object],
) -> int:
    """Queue one message per address (each once) in the caller's transaction; none when
    e-mail is off. `about` is the object the message tells of (shown with the job). An address
    that is not exactly one mailbox (`a,b@example.org` reads as two) is skipped and logged."""
    if not settings.smtp_url:
        return 0
    addresses = [a for a in dict.fromkeys(to) if _one_mailbox(a)]
    for address in addresses:
        enqueue(
            db,
            SEND,
            {"to": address, "subject": subject, "body": body},
            max_attempts=ATTEMPTS,
            subject=about,
        )
    return len(addresses)


def _one_mailbox(address: str) -> bool:
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):
        log.warning("not e-mailed: not a single mailbox", extra={"address": address})
        return False
    return True


def compose(
    settings: Settings, *, to: str, subject: str, body: str, message_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # no line break may reach a header
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{message_id}@{_sender_domain(settings.smtp_from)}>"
    message.set_content(body)
    return message


def _sender_domain(sender: str) -> str:
    _, address = parseaddr(sender)
    return address.rpartition("@")[2] or "localhost"


def deliver(relay: Relay, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if relay.implicit_tls:
        client = smtplib.SMTP_SSL(relay.host, relay.port, timeout=TIMEOUT_S, context=context)
    else:
        client = smtplib.SMTP(relay.host, relay.port, timeout=TIMEOUT_S)
    with client:
        client.ehlo_or_helo_if_needed()
        encrypted = relay.implicit_tls
        if not encrypted and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
            encrypted = True
        if relay.username is not None:
            if not (encrypted or relay.is_loopback):
                raise MailRefused(
                    f"the relay {relay.host}:{relay.port} offers no TLS: credentials are not "
                    "sent in clear (use smtps://, or a relay that offers STARTTLS)"
                )
            client.login(relay.username, relay.password or "")
        # To its one addressee only, whatever the To header might be read to hold.
        client.send_message(message)


def send(ctx: JobContext) -> None:
    """The `email.send` job: its payload `{to, subject, body}` to the relay. The Message-ID is
    the job's, so that a message sent again after an uncertain attempt is known as the same."""
    if not ctx.settings.smtp_url:
        raise MailRefused("e-mail is off: SMTP_URL is not set")
    payload = ctx.payload
    message = compose(
        ctx.settings,
        to=str(payload["to"]),
        subject=str(payload["subject"]),
        body=str(payload["body"]),
        message_id=str(ctx.job.id),
    )
    deliver(Relay.parse(ctx.settings.smtp_url), message)


EMAIL = JobKind(
    SEND,
    send,
    max_attempts=ATTEMPTS,
    delays=DELAYS,
    expected=(MailRefused, smtplib.SMTPException, OSError),
)
