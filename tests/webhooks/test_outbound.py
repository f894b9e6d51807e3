"""The one outbound request, alone: redirects not followed, at most 4 KiB of an answer read,
the checked address called with the host's name in `Host` and in TLS SNI."""

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.core.settings import Settings
from app.webhooks.outbound import (
    MAX_ANSWER_BYTES,
    RefusedUrl,
    literal_address,
    parse_target,
    post,
    refusal,
)
from tests.webhooks.conftest import TIMEOUT_S
from tests.webhooks.receiver import Receiver


def resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """DNS answering `names`; anything else (the numeric addresses that connecting reads) as
    the real resolver does."""
    real = socket.getaddrinfo

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in names:
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_the_host_header_names_the_host_while_the_checked_address_is_called(
    receiver: Receiver, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolving(monkeypatch, {"hooks.example.net": "127.0.0.1"})

    answer = post(f"http://hooks.example.net:{receiver.port}/in?x=1", b"{}", {}, settings)

    assert answer.succeeded, answer
    (request,) = receiver.received
    assert request.headers["host"] == f"hooks.example.net:{receiver.port}"
    assert request.path == "/in?x=1"


def test_a_redirect_is_not_followed(receiver: Receiver, settings: Settings) -> None:
    receiver.status = 307

    answer = post(receiver.url, b"{}", {}, settings)

    assert (answer.status, answer.succeeded) == (307, False)
    assert answer.error == "the receiver answered 307; redirects are not followed"
    assert len(receiver.received) == 1


def test_an_endless_answer_is_read_only_to_4_kib(settings: Settings) -> None:
    """The receiver promises a megabyte, sends 5,000 bytes and stalls: reading stops at 4 KiB,
    long before the timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        release = threading.Event()

        def answer() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(
                    b"HTTP/1.1 500 Oops\r\ncontent-length: 1000000\r\n\r\n" + b"x" * 5000
                )
                release.wait(10)

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        started = time.monotonic()
        result = post(f"http://127.0.0.1:{port}/", b"{}", {}, settings)
        elapsed = time.monotonic() - started
        release.set()
        thread.join(5)

    assert result.status == 500
    assert elapsed < TIMEOUT_S
    assert result.error is not None and result.error.startswith("the receiver answered 500: xxx")
    assert len(result.snippet) <= 200 < MAX_ANSWER_BYTES


def test_a_receiver_trickling_its_answer_is_cut_at_the_timeout(settings: Settings) -> None:
    """A byte a second keeps every read within its own timeout; the call as a whole is cut."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        release = threading.Event()

        def trickle() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n":
                    if release.wait(min(TIMEOUT_S / 2, 1.0)):
                        return
                    connection.sendall(bytes([byte]))

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        started = time.monotonic()
        result = post(f"http://127.0.0.1:{port}/", b"{}", {}, settings)
        elapsed = time.monotonic() - started
        release.set()
        thread.join(5)

    assert result.status is None
    assert result.error == f"no answer within {TIMEOUT_S:g} s (timed out)"
    assert elapsed < TIMEOUT_S + 2


def test_nothing_listening_is_a_connection_error(settings: Settings) -> None:
    receiver = Receiver()  # never started: its port refuses

    answer = post(receiver.url, b"{}", {}, settings)

    assert answer.status is None
    assert answer.error is not None and answer.error.startswith("could not connect to 127.0.0.1")


def test_a_private_address_is_refused_without_a_connection(
    receiver: Receiver, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import make_settings

    connects: list[Any] = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: connects.append(address))

    answer = post(receiver.url, b"{}", {}, make_settings(database_url))

    assert answer.error == "refused: 127.0.0.1 is a loopback address"
    assert connects == []
    assert receiver.received == []


@pytest.mark.parametrize(
    ("host", "address"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("::1", "::1")],
)
def test_numeric_hosts_are_read_as_the_resolver_reads_them(host: str, address: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("2002:7f00:1::", "a loopback address"),  # 6to4 around 127.0.0.1
        ("2002:a01:203::", "a private address"),  # 6to4 around 10.1.2.3
        ("fec0::1", "a site-local address"),
        ("::ffff:169.254.169.254", "a link-local address"),
    ],
    ids=str,
)
def test_ipv4_inside_ipv6_and_site_local_are_refused(address: str, reason: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111"], ids=str)
def test_public_addresses_may_be_called(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_a_url_parses_to_its_ascii_host_and_default_port() -> None:
    target = parse_target("https://Bücher.Example./hooks", production=True)

    assert (target.host, target.port, target.is_https) == ("xn--bcher-kva.example", 443, True)
    with pytest.raises(RefusedUrl, match="https in production"):
        parse_target("http://example.org/", production=True)


# TLS: the name is sent as SNI and the certificate is checked against it.


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, list[str | None]]]:
    """A TLS listener on 127.0.0.1 with a self-signed certificate; records the SNI it is sent."""
    cert, key = _certificate(tmp_path, "hooks.example.net")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        try:
            connection, _ = server.accept()
        except OSError:
            return
        with connection:
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1024)
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], names
    server.close()
    thread.join(5)


def test_tls_sends_the_host_name_and_checks_the_certificate(
    tls_server: tuple[int, list[str | None]],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, names = tls_server
    resolving(monkeypatch, {"hooks.example.net": "127.0.0.1"})

    answer = post(f"https://hooks.example.net:{port}/in", b"{}", {}, settings)

    assert names == ["hooks.example.net"]
    assert answer.status is None
    assert answer.error is not None and "CERTIFICATE_VERIFY_FAILED" in answer.error
