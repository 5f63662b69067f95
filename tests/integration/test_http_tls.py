"""TLS against a real HTTPS server on loopback with certificates made in the test.

Verification is on by default: an ``http`` step trusts a private CA only through ``ca_file``;
a self-signed, expired or wrong-name certificate fails with a sentence, not a TLS traceback.
``tls_cert`` checks the days left against ``min_days`` and records them as a typed value.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from deploytui.executors.tls_expiry import TlsCertExecutor
from deploytui.model.playbook import HttpTarget, Targets
from deploytui.model.steps import TlsCertStep
from tests.integration.http_support import Captured, Pem, http_step, make_ca, make_leaf, run_http
from tests.integration.http_support import tls_server as serve


@pytest.fixture
def ca(tmp_path: Path):
    return make_ca(tmp_path)


@pytest.fixture
def good(tmp_path: Path, ca) -> Pem:
    return make_leaf(tmp_path, "good", ca=ca, days=90)


def tls_step(**fields) -> TlsCertStep:
    return TlsCertStep.model_validate({"id": "c", "kind": "tls_cert", "title": "t", **fields})


def run_tls(step: TlsCertStep, targets: Targets | None = None):
    captured = Captured()
    return TlsCertExecutor(targets).execute(step, captured.ctx), captured


def test_https_with_the_private_ca_trusted_passes(good: Pem, ca):
    with serve(good) as port:
        target = HttpTarget(base_url=f"https://127.0.0.1:{port}", ca_file=str(ca[0].cert))
        result, _ = run_http(http_step(target="api", url="/health"), {"api": target})
    assert result.ok, result.reason


def test_https_is_verified_by_default(good: Pem):
    with serve(good) as port:
        result, _ = run_http(http_step(url=f"https://127.0.0.1:{port}/health"))
    assert not result.ok
    assert "TLS certificate not trusted: unable to get local issuer certificate" in result.reason
    assert "trust its CA with ca_file" in result.reason


def test_self_signed_certificate_is_refused_unless_verification_is_off(tmp_path: Path):
    leaf = make_leaf(tmp_path, "self", ca=None)
    with serve(leaf) as port:
        refused, _ = run_http(http_step(url=f"https://127.0.0.1:{port}/"))
        allowed, _ = run_http(http_step(url=f"https://127.0.0.1:{port}/", verify_tls=False))
    assert "TLS certificate not trusted: self-signed certificate" in refused.reason
    assert allowed.ok, allowed.reason


def test_expired_certificate_fails_http_with_a_clear_reason(tmp_path: Path, ca):
    expired = make_leaf(tmp_path, "old", ca=ca, expired=True)
    with serve(expired) as port:
        result, _ = run_http(http_step(url=f"https://127.0.0.1:{port}/", ca_file=str(ca[0].cert)))
    assert "TLS certificate not trusted: certificate has expired (renew the certificate)" in (
        result.reason
    )


def test_tls_cert_reports_days_left_as_a_typed_value(good: Pem, ca):
    with serve(good) as port:
        step = tls_step(
            host="127.0.0.1", port=port, ca_file=str(ca[0].cert), min_days=30, value="cert_days"
        )
        result, out = run_tls(step)
    assert result.ok, result.reason
    (value,) = result.values
    assert value.field == "cert_days" and value.unit == "days"
    assert value.value in (88, 89)  # 90 days from issue, minus the seconds since
    assert value.breach is None
    assert "subject: 127.0.0.1" in out.text
    assert "issuer: deploytui test CA" in out.text


def test_tls_cert_fails_below_min_days_and_records_the_breach(good: Pem, ca):
    with serve(good) as port:
        step = tls_step(
            host="127.0.0.1", port=port, ca_file=str(ca[0].cert), min_days=120, value="d"
        )
        result, _ = run_tls(step)
    assert not result.ok
    assert f"127.0.0.1:{port}: certificate expires on " in result.reason
    assert result.reason.endswith("(need at least 120 days)")
    assert result.values[0].breach.endswith("misses the target >= 120")


def test_tls_cert_expired_names_the_date(tmp_path: Path, ca):
    expired = make_leaf(tmp_path, "old", ca=ca, expired=True)
    with serve(expired) as port:
        result, _ = run_tls(tls_step(host="127.0.0.1", port=port, ca_file=str(ca[0].cert)))
    when = f"{expired.certificate.not_valid_after_utc:%Y-%m-%d}"
    assert not result.ok
    assert "certificate has expired" in result.reason
    assert f"expired on {when}, 13 days ago" in result.reason
    assert result.details["days_left"] == -13


def test_tls_cert_wrong_host_name(tmp_path: Path, ca):
    other = make_leaf(tmp_path, "other", ca=ca, names=("other.example",))
    with serve(other) as port:
        result, _ = run_tls(tls_step(host="127.0.0.1", port=port, ca_file=str(ca[0].cert)))
    assert not result.ok
    assert "mismatch" in result.reason.lower()
    assert "the certificate is for another name" in result.reason


def test_tls_cert_from_an_http_target(good: Pem, ca):
    with serve(good) as port:
        targets = Targets(http={"api": HttpTarget(base_url=f"https://127.0.0.1:{port}/v1")})
        result, _ = run_tls(tls_step(target="api", ca_file=str(ca[0].cert)), targets)
    assert result.ok, result.reason
    assert result.details["port"] == port


def test_tls_cert_refused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result, _ = run_tls(tls_step(host="127.0.0.1", port=port))
    assert result.reason == f"127.0.0.1:{port}: connection refused (is TLS served here?)"


def test_tls_cert_needs_exactly_one_of_target_or_host():
    with pytest.raises(ValueError, match="exactly one of target or host"):
        tls_step(min_days=3)


def test_a_bad_ca_file_is_a_sentence_for_http_and_tls_cert(tmp_path: Path, good: Pem):
    """A missing or non-PEM ca_file fails the step naming the file, not an internal error."""
    not_pem = tmp_path / "not-a-cert.pem"
    not_pem.write_text("hello\n")
    missing = tmp_path / "missing.pem"
    with serve(good) as port:
        base = f"https://127.0.0.1:{port}"
        garbage, _ = run_http(
            http_step(target="api", url="/"),
            {"api": HttpTarget(base_url=base, ca_file=str(not_pem))},
        )
        absent, _ = run_http(http_step(url=f"{base}/", ca_file=str(missing)))
        cert, _ = run_tls(tls_step(host="127.0.0.1", port=port, ca_file=str(not_pem)))
    assert garbage.reason == f"{base}/: ca_file {not_pem} holds no PEM certificate"
    assert absent.reason == f"{base}/: ca_file {missing} does not exist"
    assert cert.reason == f"127.0.0.1:{port}: ca_file {not_pem} holds no PEM certificate"
    assert not any("internal error" in r.reason for r in (garbage, absent, cert))


@pytest.mark.parametrize("base_url", ["https://[::1", "https://127.0.0.1:99999", "not a url"])
def test_tls_cert_from_a_target_whose_base_url_is_not_a_url(base_url: str):
    """A base_url rendered from variables can be garbage: the step fails, the run goes on."""
    step = tls_step(target="api")
    targets = Targets(http={"api": HttpTarget(base_url=base_url)})
    assert step.describe_action(targets)[0] == "TLS certificate of http target 'api' (≥ 30 days)"
    result, _ = run_tls(step, targets)
    assert not result.ok
    assert result.reason == (
        "http target 'api' gives no host to connect to (is base_url a valid URL?)"
    )


def test_tls_cert_host_may_not_be_empty():
    with pytest.raises(ValueError, match="at least 1 character"):
        tls_step(host="")
