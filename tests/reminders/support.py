"""What the reminder tests share: a real SMTP server on a free local port that keeps what it
receives, the objects reminders are about, and readers of the events and jobs they leave."""

import datetime as dt
import ipaddress
import socket
import ssl
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.models import utcnow
from app.core.principal import Role
from app.events.models import OutboxEvent
from app.expertise.models import Assignment, AssignmentStatus, Provider, ProviderKind
from app.jobs.models import Job
from app.progress.models import ReportingDeadline
from app.recommendations.models import ClusterMember, RecommendationCluster
from app.reminders.mail import SEND
from tests.factories import make_user
from tests.progress.support import make_bare_recommendation

PUBLIC_URL = "https://item10.example.org"
SENDER = "reminders@item10.example.org"


@dataclass
class Inbox:
    """An aiosmtpd handler: every message the server accepted, and who signed in."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    encrypted: list[bool] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        self.encrypted.append(session.ssl is not None)
        raw = envelope.original_content or b""
        self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def addressees(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 and the certificate a client must trust for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "relay.pem", directory / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


class LoginChecker:
    """Accepts one user and password, and notes each sign-in."""

    def __init__(self, inbox: Inbox, user: str, password: str) -> None:
        self.inbox, self.user, self.password = inbox, user, password

    def __call__(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        given = (data.login.decode(), data.password.decode())
        self.inbox.logins.append(given)
        return AuthResult(success=given == (self.user, self.password), handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int
    controller: Controller

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"smtp://{self.host_port}"

    def stop(self) -> None:
        self.controller.stop()


def start_smtp_server(
    login: tuple[str, str] | None = None, tls: ssl.SSLContext | None = None
) -> SmtpServer:
    """A relay on a free local port; with `login`, it takes those credentials (in clear unless
    `tls` is given, in which case it offers STARTTLS and requires it first)."""
    inbox = Inbox()
    port = free_port()
    options: dict[str, Any] = {}
    if login is not None:
        options = {"authenticator": LoginChecker(inbox, *login), "auth_require_tls": False}
    if tls is not None:
        options |= {"tls_context": tls, "require_starttls": True, "auth_require_tls": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return SmtpServer(inbox, port, controller)


# -- the objects reminders are about ---------------------------------------------------------


def make_officer(db: Session, *, active: bool = True) -> User:
    return make_user(db, role=Role.ohchr_officer, state=None, active=active)


def make_offer(
    db: Session,
    request_id: uuid.UUID,
    *,
    respond_by: dt.datetime,
    provider_user: User | None = None,
    offered_by: User | None = None,
) -> Assignment:
    provider = Provider(
        name=f"Adviser {uuid.uuid4().hex[:6]}",
        kind=ProviderKind.human_rights_adviser,
        languages=["en"],
        user_id=provider_user.id if provider_user else None,
    )
    db.add(provider)
    db.flush()
    assignment = Assignment(
        request_id=request_id,
        provider_id=provider.id,
        status=AssignmentStatus.proposed,
        offered_by_id=offered_by.id if offered_by else None,
        respond_by=respond_by,
    )
    db.add(assignment)
    db.flush()
    return assignment


def make_cluster(db: Session, *, state: str = "WSM", members: int = 2) -> RecommendationCluster:
    cluster = RecommendationCluster(state_code=state, name=f"Cluster {uuid.uuid4().hex[:6]}")
    db.add(cluster)
    db.flush()
    for _ in range(members):
        recommendation = make_bare_recommendation(db, state=state)
        db.add(ClusterMember(cluster_id=cluster.id, recommendation_id=recommendation.id))
    db.flush()
    return cluster


def cluster_members(db: Session, cluster_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        db.exec(
            select(ClusterMember.recommendation_id).where(ClusterMember.cluster_id == cluster_id)
        ).all()
    )


def make_deadline(
    db: Session,
    *,
    state: str = "WSM",
    due_in_days: int,
    recommendation_id: uuid.UUID | None = None,
    cluster_id: uuid.UUID | None = None,
    created_days_ago: int = 60,
    note: str | None = None,
) -> ReportingDeadline:
    """A deadline due `due_in_days` from today (negative: passed), set some time ago."""
    if recommendation_id is None and cluster_id is None:
        recommendation_id = make_bare_recommendation(db, state=state).id
    set_at = utcnow() - dt.timedelta(days=created_days_ago)
    deadline = ReportingDeadline(
        state_code=state,
        recommendation_id=recommendation_id,
        cluster_id=cluster_id,
        due_on=utcnow().date() + dt.timedelta(days=due_in_days),
        note=note,
        created_at=set_at,
        updated_at=set_at,
    )
    db.add(deadline)
    db.flush()
    return deadline


# -- what the reminders left -----------------------------------------------------------------


def events(db: Session, event_type: str, resource_id: object | None = None) -> list[OutboxEvent]:
    statement = select(OutboxEvent).where(col(OutboxEvent.type) == event_type)
    if resource_id is not None:
        statement = statement.where(col(OutboxEvent.resource_id) == str(resource_id))
    db.expire_all()
    return list(db.exec(statement.order_by(col(OutboxEvent.seq))).all())


def email_jobs(db: Session) -> list[Job]:
    db.expire_all()
    return list(
        db.exec(select(Job).where(col(Job.kind) == SEND).order_by(col(Job.created_at))).all()
    )


def daily_jobs(db: Session) -> list[Job]:
    db.expire_all()
    return list(
        db.exec(
            select(Job).where(col(Job.kind) == "reminders.daily").order_by(col(Job.dedupe_key))
        ).all()
    )
