"""Signing a certificate with the site key, and checking a certificate file byte for byte.

``verify`` accepts a file only when its bytes are exactly the layout refurb writes
(:func:`refurb.certificates.file_bytes`; CRLF line ends and a missing final newline are
tolerated: mail and editors do that to text files) and the Ed25519 signature over the canonical
content checks out.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.certificates import SCHEMAS, CertificateInvalid, canonical_bytes, file_bytes
from refurb.errors import InvalidInput
from refurb.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from refurb.env import Env


def sign(certificate: Mapping[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed envelope ``{"certificate": ..., "signature": {...}}``."""
    from refurb import keys

    fp = keys.fingerprint(private_key.public_key())
    if certificate.get("signer", {}).get("key_fingerprint") != fp:
        raise InvalidInput("the certificate names another signer than the key signing it")
    value = private_key.sign(canonical_bytes(certificate))
    return {
        "certificate": dict(certificate),
        "signature": {
            "algorithm": "Ed25519",
            "key_fingerprint": fp,
            "value": base64.b64encode(value).decode("ascii"),
        },
    }


@dataclass
class Verification:
    certificate: dict[str, Any]
    fingerprint: str
    key_source: str  # "given" (--key) or "embedded" (the key inside the certificate)
    trusted_as: str | None = None  # keys.trusted_as(): "given", "site", "trusted"


MAX_BYTES = 256 * 1024 * 1024  # far above a 10,000-device donor certificate


def _strict_b64(text: Any, what: str, length: int, source: str) -> bytes:
    if not isinstance(text, str):
        raise CertificateInvalid(
            _("{source}: the certificate's {what} is missing").format(source=source, what=what)
        )
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != text:
        raise CertificateInvalid(
            _("{source}: the certificate's {what} is malformed").format(source=source, what=what)
        )
    return raw


def _not_a_certificate(source: str, why: str, hint: str | None = None) -> CertificateInvalid:
    return CertificateInvalid(
        _("{source}: not a refurb certificate ({why})").format(source=source, why=why),
        hint=hint or _("pass the .json file refurb wrote with `refurb wipe certificate`"),
        reason="not_a_certificate",
    )


def _no_nan(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    """A JSON number as a float; 1e999 (infinity once read) is no number a certificate holds."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def parse(data: bytes, source: str) -> tuple[str, dict[str, Any]]:
    """The file's text and its envelope; :class:`CertificateInvalid` for anything else."""
    magic = {
        b"\x89PNG": _("a PNG image"),
        b"%PDF": _("a PDF"),
        b"\xff\xd8\xff": _("a JPEG image"),
        b"PK\x03\x04": _("a ZIP or office file"),
    }
    for head, kind in magic.items():
        if data.startswith(head):
            hint = (
                _("the PDF is a readable copy: check the .json file issued with it")
                if head == b"%PDF"
                else None
            )
            raise _not_a_certificate(source, _("it is {kind}").format(kind=kind), hint)
    if len(data) > MAX_BYTES:
        raise _not_a_certificate(source, _("far too large"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_a_certificate(
            source, _("not text: byte {offset} is not UTF-8").format(offset=exc.start)
        ) from None
    if not text.strip():
        raise _not_a_certificate(source, _("the file is empty"))
    try:
        envelope = json.loads(text, parse_constant=_no_nan, parse_float=_finite)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            why = _("the file ends too early: truncated?")
        else:
            why = _("not JSON: {msg} at line {line}, column {col}").format(
                msg=exc.msg, line=exc.lineno, col=exc.colno
            )
        raise _not_a_certificate(source, why) from None
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, absurd nesting or numbers
        raise _not_a_certificate(
            source, _("not valid JSON: {detail}").format(detail=str(exc)[:80])
        ) from None
    if (
        not isinstance(envelope, dict)
        or set(envelope) != {"certificate", "signature"}
        or not isinstance(envelope["certificate"], dict)
        or not isinstance(envelope["signature"], dict)
    ):
        raise _not_a_certificate(source, _("JSON, but without a certificate and its signature"))
    if envelope["certificate"].get("schema") not in SCHEMAS:
        raise _not_a_certificate(
            source,
            _("unknown schema {schema}").format(
                schema=json.dumps(envelope["certificate"].get("schema"))[:60]
            ),
        )
    return text, envelope


def verify(
    data: bytes,
    *,
    key: Ed25519PublicKey | None = None,
    source: str = "certificate",
) -> Verification:
    """Check that a certificate file is intact; :class:`CertificateInvalid` (exit 1) if not.

    With ``key`` the certificate must be signed by that key. Without it the public key embedded
    in the certificate is used: that proves the file is unchanged, not who made it. Who made it
    is :func:`check`'s question (the trust rule in :func:`refurb.keys.trusted_as`).
    """
    from cryptography.exceptions import InvalidSignature

    from refurb import keys

    text, envelope = parse(data, source)
    cert, sig = envelope["certificate"], envelope["signature"]
    if sig.get("algorithm") != "Ed25519" or set(sig) != {"algorithm", "key_fingerprint", "value"}:
        raise CertificateInvalid(
            _("{source}: the signature block was changed").format(source=source)
        )
    signer = cert.get("signer") if isinstance(cert.get("signer"), dict) else {}
    embedded_raw = _strict_b64(signer.get("public_key"), _("public key"), 32, source)
    try:
        embedded = keys.public_key_from_bytes(base64.b64encode(embedded_raw))
    except InvalidInput:
        raise CertificateInvalid(
            _("{source}: the certificate's {what} is malformed").format(
                source=source, what=_("public key")
            )
        ) from None
    declared = signer.get("key_fingerprint")
    if declared != keys.fingerprint(embedded) or sig.get("key_fingerprint") != declared:
        raise CertificateInvalid(
            _("{source}: the signer's fingerprint does not match its public key").format(
                source=source
            )
        )
    signature = _strict_b64(sig.get("value"), _("signature"), 64, source)
    checker, key_source = (key, "given") if key is not None else (embedded, "embedded")
    if keys.fingerprint(checker) != declared:
        raise CertificateInvalid(
            _("{source} was signed by another key ({theirs}), not by {ours}").format(
                source=source, theirs=declared, ours=keys.fingerprint(checker)
            ),
            hint=_("pass the signing site's public key with --key"),
            reason="wrong_key",
            fingerprint=declared,
        )
    try:
        checker.verify(signature, canonical_bytes(cert))
    except InvalidSignature:
        raise CertificateInvalid(
            _(
                "{source}: the signature does not match the content: the certificate was changed"
            ).format(source=source),
            fingerprint=declared,
        ) from None
    normalized = text.replace("\r\n", "\n")
    expected = file_bytes(envelope).decode("utf-8")
    if normalized not in (expected, expected.rstrip("\n")):
        raise CertificateInvalid(
            _(
                "{source}: the signed content is intact but the file was edited "
                "(its bytes differ from what refurb wrote)"
            ).format(source=source),
            hint=_("ask the workshop for the original file"),
            reason="edited",
            fingerprint=declared,
        )
    return Verification(cert, declared, key_source)


def check(
    env: Env,
    data: bytes,
    *,
    key: Ed25519PublicKey | None = None,
    source: str = "certificate",
) -> Verification:
    """Intact **and** signed by a key this workstation trusts (``verify`` + ``keys.trusted_as``).

    The one check every command that accepts a certificate uses. A certificate signed by any
    other key, even an intact one, raises :class:`CertificateInvalid` with reason
    ``unknown_key`` and the signer's fingerprint.
    """
    from refurb import keys

    result = verify(data, key=key, source=source)
    why = keys.trusted_as(env, result.fingerprint, given=key)
    if why is None:
        site = result.certificate.get("site")
        raise CertificateInvalid(
            _("{source}: signed by an unknown key {fp}").format(
                source=source, fp=result.fingerprint
            ),
            hint=_(
                "ask {site} for its public key (`refurb keys export --out site.pub` there), "
                "check its fingerprint with them, then run `refurb keys trust site.pub` "
                "or pass --key site.pub"
            ).format(site=site or _("the workshop that issued it")),
            reason="unknown_key",
            fingerprint=result.fingerprint,
        )
    result.trusted_as = why
    return result


def check_file(env: Env, path: Path, *, key_path: Path | None = None) -> Verification:
    """:func:`check` on a file, with ``--key``'s file read first (errors name the files)."""
    from refurb import keys
    from refurb.errors import NotFound

    public = keys.load_public_key(key_path) if key_path is not None else None
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise NotFound(_("no such file: {path}").format(path=path)) from None
    except IsADirectoryError:
        raise InvalidInput(_("{path} is a folder, not a certificate").format(path=path)) from None
    except OSError as exc:
        raise InvalidInput(
            _("cannot read {path}: {why}").format(path=path, why=exc.strerror or exc)
        ) from None
    return check(env, data, key=public, source=str(path))
