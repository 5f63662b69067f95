"""Helpers for the HTTP and TLS tests: run an executor directly, make certificates, serve TLS.

Certificates are made in the test with ``cryptography`` (a CA and leaves it signs, a
self-signed leaf, an expired leaf); the TLS server is a real ``http.server`` on 127.0.0.1
wrapped in an ``ssl`` context, on a free port.
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploytui.executors.base import ExecContext, ExecResult
from deploytui.executors.http import HttpExecutor
from deploytui.model.playbook import HttpTarget
from deploytui.model.steps import HttpStep


@dataclass
class Captured:
    """An ``ExecContext`` whose output lines are kept for assertions."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    ctx: ExecContext = field(init=False)

    def __post_init__(self) -> None:
        self.ctx = ExecContext(
            run_id="r", step_id="s", attempt=1, output=lambda s, t: self.lines.append((s, t))
        )

    @property
    def text(self) -> list[str]:
        return [line for _, line in self.lines]


def http_step(**fields: Any) -> HttpStep:
    return HttpStep.model_validate({"id": "h", "kind": "http", "title": "t", **fields})


def run_http(
    step: HttpStep, targets: dict[str, HttpTarget] | None = None
) -> tuple[ExecResult, Captured]:
    captured = Captured()
    return HttpExecutor(targets).execute(step, captured.ctx), captured


# -- certificates -----------------------------------------------------------------------------


@dataclass
class Pem:
    cert: Path
    key: Path
    certificate: x509.Certificate


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write(folder: Path, stem: str, certificate: x509.Certificate, key: Any) -> Pem:
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pem(cert=cert_path, key=key_path, certificate=certificate)


def make_ca(folder: Path) -> tuple[Pem, Any]:
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deploytui test CA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return _write(folder, "ca", certificate, key), key


def make_leaf(
    folder: Path,
    stem: str,
    *,
    ca: tuple[Pem, Any] | None,
    days: float = 90,
    names: tuple[str, ...] = ("127.0.0.1", "localhost"),
    expired: bool = False,
) -> Pem:
    """A server certificate signed by ``ca`` (or self-signed when ``ca`` is None)."""
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=days)
    if expired:
        start, end = now - dt.timedelta(days=400), now - dt.timedelta(days=12, hours=1)
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(IPv4Address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    issuer_cert, issuer_key = (ca[0].certificate, ca[1]) if ca else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    return _write(folder, stem, builder.sign(issuer_key, hashes.SHA256()), key)


# -- a TLS HTTP server --------------------------------------------------------------------------


class _Ok(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def tls_server(pem: Pem) -> Iterator[int]:
    """Serve HTTPS on 127.0.0.1 with ``pem``; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem.cert, pem.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
