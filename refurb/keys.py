"""The site's Ed25519 signing key: made once at ``refurb init``, used to sign erasure certificates.

The private key lives at ``<data_dir>/keys/site-ed25519.key`` (PKCS#8 PEM, mode 0600, in a 0700
folder); the public key beside it as ``site-ed25519.pub`` (PEM), which a workshop hands to donors
and partners so they can check a certificate with ``refurb wipe verify-cert F --key site.pub``.

A fingerprint is ``SHA256:`` + the hex SHA-256 of the 32 raw public-key bytes: short enough to
read aloud or print, and the same whichever file format the key was stored in.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from refurb.errors import InvalidInput, NotFound, StoreError
from refurb.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from refurb.env import Env

KEY_NAME = "site-ed25519.key"
PUB_NAME = "site-ed25519.pub"


def key_dir(env: Env) -> Path:
    return env.data_dir / "keys"


def private_key_path(env: Env) -> Path:
    return key_dir(env) / KEY_NAME


def public_key_path(env: Env) -> Path:
    return key_dir(env) / PUB_NAME


def ensure_site_key(env: Env) -> Path:
    """Create the site key pair if there is none; return the private key's path.

    Idempotent: an existing key is never replaced (certificates already handed out were signed
    with it). A key file readable by others is tightened back to 0600.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = private_key_path(env)
    pub = public_key_path(env)
    try:
        if path.exists():
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            if not pub.exists():
                _write_public(pub, load_private_key(path).public_key())
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        key = Ed25519PrivateKey.generate()
        data = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        _write_public(pub, key.public_key())
    except OSError as exc:
        raise StoreError(
            f"cannot create the site signing key in {path.parent}: {exc.strerror or exc}",
            hint="check that the refurb data folder is writable",
        ) from exc
    return path


def _write_public(path: Path, public: Ed25519PublicKey) -> None:
    from cryptography.hazmat.primitives import serialization

    data = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path`` (PKCS#8 PEM, unencrypted)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(
            _("no site signing key at {path}").format(path=path),
            hint=_("run `refurb init` on this workstation to create one"),
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot read the signing key {path}: {exc.strerror or exc}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{path} is not a PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, OpenSSH (``ssh-ed25519 AAAA...``) or raw base64/hex text."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(_("no public key file {path}").format(path=path)) from None
    except OSError as exc:
        raise InvalidInput(
            _("cannot read the public key {path}: {why}").format(path=path, why=exc.strerror or exc)
        ) from exc
    try:
        return public_key_from_bytes(data)
    except InvalidInput as exc:
        raise InvalidInput(
            f"{path}: {exc.message}",
            hint=_("pass the site's public key file (site-ed25519.pub)"),
        ) from None


def public_key_from_bytes(data: bytes) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    text = data.strip()
    key: object
    try:
        if text.startswith(b"-----BEGIN"):
            if b"PRIVATE KEY" in text.split(b"\n", 1)[0]:
                key = serialization.load_pem_private_key(text, password=None)
                if isinstance(key, Ed25519PrivateKey):
                    key = key.public_key()
            else:
                key = serialization.load_pem_public_key(text)
        elif text.startswith(b"ssh-ed25519 "):
            key = serialization.load_ssh_public_key(text)
        else:
            raw = _decode_raw(text.decode("ascii"))
            key = Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not an Ed25519 public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"holds a {type(key).__name__}, not an Ed25519 public key")
    return key


def _decode_raw(text: str) -> bytes:
    if len(text) == 64:
        return bytes.fromhex(text)
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("expected 32 key bytes")
    return raw


def raw_public_bytes(public: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: Ed25519PublicKey) -> str:
    """``SHA256:<64 hex>`` of the raw public key."""
    return "SHA256:" + hashlib.sha256(raw_public_bytes(public)).hexdigest()


def short_fingerprint(fp: str) -> str:
    """The fingerprint in groups of four, for people to compare by eye."""
    digest = fp.split(":", 1)[-1]
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))
