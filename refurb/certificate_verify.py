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
from typing import TYPE_CHECKING, Any

from refurb.certificates import SCHEMA, CertificateInvalid, canonical_bytes, file_bytes
from refurb.errors import InvalidInput
from refurb.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )


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


def _strict_b64(text: Any, what: str, length: int) -> bytes:
    if not isinstance(text, str):
        raise CertificateInvalid(_("the certificate's {what} is missing").format(what=what))
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != text:
        raise CertificateInvalid(_("the certificate's {what} is malformed").format(what=what))
    return raw


def verify(
    data: bytes,
    *,
    key: Ed25519PublicKey | None = None,
    source: str = "certificate",
) -> Verification:
    """Check a certificate file's bytes; :class:`CertificateInvalid` (exit 1) on any problem.

    With ``key`` the certificate must be signed by that key. Without it the public key embedded
    in the certificate is used: that proves the file is unchanged, not who made it, so the caller
    shows the fingerprint for the reader to compare with the one the workshop publishes.
    """
    from cryptography.exceptions import InvalidSignature

    from refurb import keys

    try:
        text = data.decode("utf-8")
        envelope = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CertificateInvalid(
            _("{source} is not a readable certificate: {detail}").format(source=source, detail=exc)
        ) from None
    if (
        not isinstance(envelope, dict)
        or set(envelope) != {"certificate", "signature"}
        or not isinstance(envelope["certificate"], dict)
        or not isinstance(envelope["signature"], dict)
    ):
        raise CertificateInvalid(
            _("{source} is not a refurb erasure certificate").format(source=source)
        )
    cert, sig = envelope["certificate"], envelope["signature"]
    if cert.get("schema") != SCHEMA:
        raise CertificateInvalid(
            _("{source}: unknown certificate schema {schema!r}").format(
                source=source, schema=cert.get("schema")
            )
        )
    if sig.get("algorithm") != "Ed25519" or set(sig) != {"algorithm", "key_fingerprint", "value"}:
        raise CertificateInvalid(
            _("{source}: the signature block was changed").format(source=source)
        )
    signer = cert.get("signer") if isinstance(cert.get("signer"), dict) else {}
    embedded_raw = _strict_b64(signer.get("public_key"), _("public key"), 32)
    embedded = keys.public_key_from_bytes(base64.b64encode(embedded_raw))
    declared = signer.get("key_fingerprint")
    if declared != keys.fingerprint(embedded) or sig.get("key_fingerprint") != declared:
        raise CertificateInvalid(
            _("{source}: the signer's fingerprint does not match its public key").format(
                source=source
            )
        )
    signature = _strict_b64(sig.get("value"), _("signature"), 64)
    checker, key_source = (key, "given") if key is not None else (embedded, "embedded")
    if keys.fingerprint(checker) != declared:
        raise CertificateInvalid(
            _("{source} was signed by another key ({theirs}), not by {ours}").format(
                source=source, theirs=declared, ours=keys.fingerprint(checker)
            ),
            hint=_("pass the signing site's public key with --key"),
        )
    try:
        checker.verify(signature, canonical_bytes(cert))
    except InvalidSignature:
        raise CertificateInvalid(
            _(
                "{source}: the signature does not match the content: the certificate was changed"
            ).format(source=source)
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
        )
    return Verification(cert, declared, key_source)
