"""Run a ``tls_cert`` step: is the server's certificate trusted, and for how many more days?

The handshake verifies chain and host name by default (the same trust an HTTPS client has).
When verification fails, the certificate is fetched again without verification only to say
*why* in words (expired on which date, self-signed, issued for another name); nothing is sent
over that connection.
"""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from deploytui.executors.base import ExecContext, ExecResult
from deploytui.executors.http_checks import RequestSetupError, ca_context, explain_tls_failure
from deploytui.model.playbook import Targets
from deploytui.model.steps import StepBase
from deploytui.model.tls_step import TlsCertStep


def fetch_certificate(
    host: str, port: int, server_name: str, *, context: ssl.SSLContext, timeout: float
) -> bytes:
    """The peer's leaf certificate (DER) after a handshake with ``context``."""
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    return der


def verifying_context(ca_file: str | None) -> ssl.SSLContext:
    return ca_context(ca_file) if ca_file else ssl.create_default_context()


def unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def days_left(certificate: x509.Certificate, now: datetime | None = None) -> int:
    """Whole days until expiry (negative once expired)."""
    remaining = certificate.not_valid_after_utc - (now or datetime.now(UTC))
    return int(remaining.total_seconds() // 86400)


def _name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string() or "(empty)"


def describe(certificate: x509.Certificate) -> list[str]:
    lines = [
        f"subject: {_name(certificate.subject)}",
        f"issuer: {_name(certificate.issuer)}",
        f"valid: {certificate.not_valid_before_utc:%Y-%m-%d} to "
        f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
    ]
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        alt = [str(item.value) for item in names.value]
        lines.append("names: " + ", ".join(alt[:10]) + (" …" if len(alt) > 10 else ""))
    except x509.ExtensionNotFound:
        pass
    return lines


class TlsCertExecutor:
    kind = "tls_cert"

    def __init__(self, targets: Targets | None = None) -> None:
        self.targets = targets or Targets()

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, TlsCertStep)
        host, port = step.endpoint(self.targets)
        where = f"{host}:{port}"
        if not host:
            where = f"http target '{step.target}'" if step.target else "the step"
            return ExecResult(
                ok=False, reason=f"{where} gives no host to connect to (is base_url a valid URL?)"
            )
        server_name = step.server_name or host
        timeout = step.timeout or 10.0
        details: dict[str, object] = {"host": host, "port": port, "server_name": server_name}
        untrusted: str | None = None
        try:
            if step.verify:
                try:
                    der = fetch_certificate(
                        host,
                        port,
                        server_name,
                        context=verifying_context(step.ca_file),
                        timeout=timeout,
                    )
                except ssl.SSLCertVerificationError as error:
                    untrusted = explain_tls_failure(
                        f"certificate verify failed: {error.verify_message} (_ssl"
                    )
                    der = fetch_certificate(
                        host, port, server_name, context=unverified_context(), timeout=timeout
                    )
            else:
                der = fetch_certificate(
                    host, port, server_name, context=unverified_context(), timeout=timeout
                )
        except FileNotFoundError:
            return ExecResult(ok=False, reason=f"{where}: ca_file {step.ca_file} does not exist")
        except RequestSetupError as error:
            return ExecResult(ok=False, reason=f"{where}: {error}")
        except TimeoutError:
            return ExecResult(ok=False, reason=f"{where}: no TLS answer within {timeout:g}s")
        except ConnectionRefusedError:
            return ExecResult(ok=False, reason=f"{where}: connection refused (is TLS served here?)")
        except socket.gaierror:
            return ExecResult(ok=False, reason=f"{where}: the host name does not resolve")
        except ssl.SSLError as error:
            return ExecResult(ok=False, reason=f"{where}: TLS handshake failed ({error})")
        except OSError as error:
            return ExecResult(
                ok=False, reason=f"{where}: cannot connect ({error.strerror or error})"
            )
        certificate = x509.load_der_x509_certificate(der)
        for line in describe(certificate):
            ctx.emit(line)
        left = days_left(certificate)
        expires = f"{certificate.not_valid_after_utc:%Y-%m-%d}"
        details.update({"expires": expires, "days_left": left, "trusted": untrusted is None})
        field = step.days_field()
        values = [field.capture(str(left))] if field is not None else []
        when = f"expired on {expires}, {-left} days ago" if left < 0 else f"expires on {expires}"
        ctx.emit(f"{when}: {left} days left (need ≥ {step.min_days})")
        if untrusted:
            reason = f"{where}: {untrusted}; {when}"
            return ExecResult(ok=False, reason=reason, details=details, values=values)
        if left < step.min_days:
            left_text = "" if left < 0 else f", {left} days left"
            reason = f"{where}: certificate {when}{left_text} (need at least {step.min_days} days)"
            return ExecResult(ok=False, reason=reason, details=details, values=values)
        return ExecResult(ok=True, details=details, values=values)
