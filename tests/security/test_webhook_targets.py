"""Webhook endpoints cannot aim the hub at its own network (server-side request forgery).

With ``HUB_WEBHOOK_ALLOW_PRIVATE`` off (the default) an endpoint naming a private, loopback or
link-local address is refused at registration, and a delivery whose host resolves to one is
never sent. The suite's own receivers listen on loopback, so tests/conftest.py turns it on and
these tests turn it off again.

A delivery resolves the receiver's name once and connects to the addresses it checked, so a
name that answers with a public address and then with an internal one (DNS rebinding) never
reaches the inside; the name still goes in ``Host`` and, over TLS, in SNI and the certificate
check. Names are resolved here by a stand-in for ``socket.getaddrinfo``.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.actor import Actor
from hub.context import HubContext
from hub.exchange.notify.delivery import post_json
from hub.exchange.notify.models import WebhookDelivery
from hub.exchange.notify.rules import PRIVATE_TARGET, url_problem
from hub.exchange.notify.webhooks import deliver_pending, enqueue, register_endpoint
from hub.jobs.runner import run_job
from tests.integration.test_webhooks import Receiver, receiver  # noqa: F401 - a fixture

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HUB_SECRET = "test-hub-secret"

INTERNAL = [
    "http://127.0.0.1:8000/hook",
    "http://127.1.2.3/hook",
    "http://localhost/hook",
    "http://api.localhost./hook",
    "http://10.0.0.5/hook",
    "http://172.16.8.1/hook",
    "http://192.168.1.10:8080/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "https://224.0.0.1/hook",
]
PUBLIC = [
    "https://partner.example/hooks/hub",
    "https://93.184.215.14/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://hooks.localhost-partner.org/x",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_unless_allowed(url):
    assert url_problem(url) == PRIVATE_TARGET
    assert url_problem(url, allow_private=True) is None


@pytest.mark.parametrize("url", PUBLIC)
def test_public_addresses_and_names_are_accepted(url):
    assert url_problem(url) is None


def test_the_api_refuses_a_cloud_metadata_address_with_a_problem(make_app, make_party, get_token):
    client = make_app(webhook_allow_private=False).test_client()
    party = make_party("charity")
    headers = {"Authorization": f"Bearer {get_token(party)}"}
    refused = client.post(
        "/api/v1/webhooks",
        json={"url": "http://169.254.169.254/latest", "events": ["dataset.released"]},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"] == {"url": [PRIVATE_TARGET]}
    accepted = client.post(
        "/api/v1/webhooks",
        json={"url": "https://partner.example/hooks", "events": ["dataset.released"]},
        headers=headers,
    )
    assert accepted.status_code == 201


def _actor(org) -> Actor:
    return Actor(kind="client", id="hub_test", organisation_id=org.id, organisation_kind=org.kind)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_delivery_to_a_host_that_resolves_inside_is_never_sent(
    receiver,  # noqa: F811
    make_org,
    db_session,
    session_factory,
    host,
):
    org = make_org("charity")
    # Registered while private targets were allowed (or a name that later resolved inside).
    register_endpoint(
        db_session,
        _actor(org),
        url=receiver.url.replace("127.0.0.1", host),
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
        allow_private=True,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()

    refused = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW, allow_private=False)
    assert (refused.delivered, refused.retrying) == (0, 1)
    assert receiver.received == []

    later = NOW.replace(year=2027)
    allowed = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=later, allow_private=True)
    assert allowed.delivered == 1
    assert len(receiver.received) == 1


def test_the_webhooks_job_follows_the_setting(
    receiver,  # noqa: F811
    settings,
    engine,
    session_factory,
    make_org,
    db_session,
):
    org = make_org("charity")
    register_endpoint(
        db_session,
        _actor(org),
        url=receiver.url,
        events=["outcome.created"],
        hub_secret=settings.secret_key,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()
    strict = HubContext(
        settings=settings.replace(webhook_allow_private=False),
        engine=engine,
        session_factory=session_factory,
    )
    run = run_job(strict, "webhooks", now=NOW)
    assert run.stats == {"delivered": 0, "retrying": 1, "failed": 0}
    assert receiver.received == []


# --- DNS rebinding --------------------------------------------------------------------------

PARTNER_HOST = "hooks.partner.test"
# Globally routable; the test never lets a connection to it leave the machine.
PUBLIC_IP = "93.184.215.14"


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve each name in ``answers`` to its addresses in turn, the last one from then on.

    Other names resolve as usual. Returns the names looked up, in order.
    """
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        queue = answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def _port(receiver_: Receiver) -> int:
    return int(receiver_.url.rsplit(":", 1)[1].split("/", 1)[0])


def _last_delivery(db_session) -> WebhookDelivery:
    db_session.expire_all()
    return db_session.scalars(sa.select(WebhookDelivery)).one()


def test_a_name_that_rebinds_to_loopback_never_reaches_it(
    receiver,  # noqa: F811
    make_org,
    db_session,
    session_factory,
    monkeypatch,
):
    port = _port(receiver)
    org = make_org("charity")
    register_endpoint(
        db_session,
        _actor(org),
        url=f"http://{PARTNER_HOST}:{port}/hooks",
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()
    # The name answers with a public address first and with loopback on every later lookup.
    lookups = fake_dns(monkeypatch, {PARTNER_HOST: [PUBLIC_IP, "127.0.0.1"]})
    connections: list[tuple[str, int]] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        connections.append((address[0], address[1]))
        if address[0] == PUBLIC_IP:
            raise ConnectionRefusedError("the public address is not reachable from the test")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)

    first = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW, allow_private=False)

    assert (first.delivered, first.retrying) == (0, 1)
    assert lookups == [PARTNER_HOST]  # one lookup, and the connection went where it pointed
    assert connections == [(PUBLIC_IP, port)]
    assert receiver.received == []
    assert "ConnectionRefusedError" in (_last_delivery(db_session).last_error or "")

    # The retry looks the name up again; now it points inside, so no connection is made at all.
    later = NOW + timedelta(days=1)
    second = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=later, allow_private=False)

    assert (second.delivered, second.retrying) == (0, 1)
    assert connections == [(PUBLIC_IP, port)]
    assert receiver.received == []
    assert "no public address the hub may call" in (_last_delivery(db_session).last_error or "")


def test_a_delivery_connects_to_the_address_it_resolved_and_names_the_host(
    receiver,  # noqa: F811
    make_org,
    db_session,
    session_factory,
    monkeypatch,
):
    port = _port(receiver)
    org = make_org("charity")
    register_endpoint(
        db_session,
        _actor(org),
        url=f"http://{PARTNER_HOST}:{port}/hooks?from=hub",
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
        allow_private=True,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()
    # A second lookup would give an address where nothing listens.
    lookups = fake_dns(monkeypatch, {PARTNER_HOST: ["127.0.0.1", "192.0.2.1"]})

    report = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW, allow_private=True)

    assert report.delivered == 1
    assert lookups == [PARTNER_HOST]
    [(headers, _body)] = receiver.received
    assert headers["Host"] == f"{PARTNER_HOST}:{port}"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_redirect_is_followed(
    receiver,  # noqa: F811
    make_org,
    db_session,
    session_factory,
    status,
):
    # The receiver points the hub back at its own loopback address; the hub does not go.
    org = make_org("charity")
    register_endpoint(
        db_session,
        _actor(org),
        url=receiver.url,
        events=["outcome.created"],
        hub_secret=HUB_SECRET,
        allow_private=True,
    )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()
    receiver.statuses = [status]

    report = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW, allow_private=True)

    assert report.retrying == 1
    assert len(receiver.received) == 1
    assert _last_delivery(db_session).last_status_code == status


# --- over TLS -------------------------------------------------------------------------------


@dataclass
class TlsReceiver:
    """An HTTPS receiver on loopback with a certificate for PARTNER_HOST from its own CA."""

    port: int
    ca_file: Path
    server_names: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)

    def trust(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[TlsReceiver]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test receivers CA")])
    ca_cert = _certificate("Test receivers CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(PARTNER_HOST, key, ca_name, ca_key, ca=False)
    ca_file, chain_file = tmp_path / "ca.pem", tmp_path / "receiver.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    box = TlsReceiver(port=0, ca_file=ca_file)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            box.hosts.append(self.headers.get("Host", ""))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_file)

    def sni(_sock: Any, name: str | None, _context: Any) -> None:
        box.server_names.append(name)

    context.sni_callback = sni
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    box.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()
    thread.join()


def test_over_tls_the_pinned_address_is_checked_against_the_name(tls_receiver, monkeypatch):
    fake_dns(monkeypatch, {PARTNER_HOST: ["127.0.0.1"], "other.partner.test": ["127.0.0.1"]})
    url = f"https://{PARTNER_HOST}:{tls_receiver.port}/hooks"
    status = post_json(
        url, b"{}", {"Content-Type": "application/json"}, 5, tls=tls_receiver.trust()
    )
    assert status == 204
    assert tls_receiver.server_names == [PARTNER_HOST]
    assert tls_receiver.hosts == [f"{PARTNER_HOST}:{tls_receiver.port}"]

    # The same server under a name its certificate does not carry is refused before any POST.
    other = f"https://other.partner.test:{tls_receiver.port}/hooks"
    with pytest.raises(ssl.SSLCertVerificationError):
        post_json(other, b"{}", {}, 5, tls=tls_receiver.trust())
    # And a certificate from a CA the hub does not trust is refused too.
    with pytest.raises(ssl.SSLCertVerificationError):
        post_json(url, b"{}", {}, 5)
    assert tls_receiver.hosts == [f"{PARTNER_HOST}:{tls_receiver.port}"]


# Spellings a browser's URL parser (WHATWG) reads as an internal address.
DISGUISED = [
    "2130706433",  # 127.0.0.1 as one number
    "0x7f000001",
    "0177.0.0.1",  # octal
    "127.1",
    "0",
    "0x7f.1",
    "127.0.0.1.",
    "%31%32%37.0.0.1",
    "[::127.0.0.1]",  # IPv4-compatible IPv6 (::/96)
    "[::ffff:7f00:1]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11",  # fullwidth digits and stops
    "\u2460\u2461\u2466.\u24ea.\u24ea.\u2460",  # circled digits
    "127\u30020\u30020\u30021",  # ideographic full stops
    "0251.0376.0251.0376",  # 169.254.169.254 in octal
    "LOCALHOST",
]


@pytest.mark.parametrize("host", DISGUISED)
def test_an_internal_address_in_any_browser_spelling_is_refused(host):
    assert url_problem(f"https://{host}/hooks", allow_private=False) == PRIVATE_TARGET


@pytest.mark.parametrize("host", ["1.2.3.4.5", "a.1.2", "256.256.256.256", "0x1g.0.0.1"])
def test_a_host_no_browser_would_parse_is_refused(host):
    assert url_problem(f"https://{host}/hooks") == "Not a valid host name or address."


@pytest.mark.parametrize(
    "host", ["partner.example", "8.8.8.8", "134744072", "[2a00:1450:4009:81f::200e]", "bücher.de"]
)
def test_public_hosts_in_any_spelling_are_accepted(host):
    assert url_problem(f"https://{host}/hooks", allow_private=False) is None


def test_the_api_refuses_a_disguised_address_with_a_problem(make_app, make_party, get_token):
    client = make_app(webhook_allow_private=False).test_client()
    headers = {"Authorization": f"Bearer {get_token(make_party('charity'))}"}
    for host in DISGUISED:
        answer = client.post(
            "/api/v1/webhooks",
            json={"url": f"https://{host}/hooks", "events": ["dataset.released"]},
            headers=headers,
        )
        assert answer.status_code == 422, host
        assert answer.get_json()["errors"]["url"] == [PRIVATE_TARGET]


def test_last_error_is_the_same_for_a_private_name_and_one_that_does_not_resolve(
    make_org, db_session, session_factory, monkeypatch
):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host == "inside.partner.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    org = make_org("charity")
    for name in ("inside.partner.example", "nowhere.partner.example"):
        register_endpoint(
            db_session,
            _actor(org),
            url=f"https://{name}/hooks",
            events=["outcome.created"],
            hub_secret=HUB_SECRET,
            allow_private=False,
        )
    enqueue(db_session, "outcome.created", {"n": 1}, [org.id], now=NOW)
    db_session.commit()

    report = deliver_pending(session_factory, hub_secret=HUB_SECRET, now=NOW, allow_private=False)
    assert report.retrying == 2
    errors = set(db_session.scalars(sa.select(WebhookDelivery.last_error)))
    assert len(errors) == 1, errors
    assert "10.0.0.5" not in errors.pop()
