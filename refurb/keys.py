"""The site's Ed25519 signing key: made once at ``refurb init``, used to sign erasure certificates.

The private key lives at ``<data_dir>/keys/site-ed25519.key`` (PKCS#8 PEM, mode 0600, in a 0700
folder); the public key beside it as ``site-ed25519.pub`` (PEM), which a workshop hands to donors
and partners so they can check a certificate with ``refurb wipe verify-cert F --key site.pub``.

A fingerprint is ``SHA256:`` + the hex SHA-256 of the 32 raw public-key bytes: short enough to
read aloud or print, and the same whichever file format the key was stored in.

Trust: a certificate counts as genuine only when its signer is a key this workstation trusts
(:func:`trusted_as`, the one rule every caller uses): this site's own key, a key passed for one
check (``verify-cert --key``), or a key added with ``refurb keys trust FILE``, kept in
``<data_dir>/keys/trusted.json``.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    begin = text.find(b"-----BEGIN")
    if begin > 0:  # `refurb keys export` puts the site's name and fingerprint above the PEM
        text = text[begin:]
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


# -- trusted keys ----------------------------------------------------------------------------

TRUSTED_NAME = "trusted.json"
SITE, GIVEN, TRUSTED = "site", "given", "trusted"


def trusted_path(env: Env) -> Path:
    return key_dir(env) / TRUSTED_NAME


def site_public_key(env: Env) -> Ed25519PublicKey | None:
    """This workstation's own site key, or None when there is none (or it cannot be read)."""
    from refurb.errors import RefurbError

    for path in (public_key_path(env), private_key_path(env)):
        if not path.exists():
            continue
        try:
            if path == private_key_path(env):
                return load_private_key(path).public_key()
            return load_public_key(path)
        except RefurbError:  # an unreadable own key must not spoil checking someone's file
            continue
    return None


def trusted_keys(env: Env) -> list[dict[str, Any]]:
    """Every key this workstation trusts: its own site key first, then the added ones.

    Each entry: ``fingerprint``, ``name``, ``source`` ("site" or "trusted"), ``added_at``.
    """
    out: list[dict[str, Any]] = []
    own = site_public_key(env)
    if own is not None:
        raw = base64.b64encode(raw_public_bytes(own)).decode("ascii")
        out.append(
            {
                "fingerprint": fingerprint(own),
                "public_key": raw,
                "name": None,
                "added_at": None,
                "source": SITE,
            }
        )
    for entry in _read_trusted(env):
        if all(e["fingerprint"] != entry["fingerprint"] for e in out):
            out.append({**entry, "source": TRUSTED})
    return out


def trusted_as(
    env: Env, signer_fingerprint: str, *, given: Ed25519PublicKey | None = None
) -> str | None:
    """Why the key with ``signer_fingerprint`` is trusted here, or None when it is unknown.

    ``"given"``: it is the key passed for this check (``--key``); ``"site"``: this site's own key;
    ``"trusted"``: added with ``refurb keys trust``. A key only inside the certificate itself
    proves that the file is unchanged, never who made it, so it is never trusted by itself.
    """
    if given is not None and fingerprint(given) == signer_fingerprint:
        return GIVEN
    for entry in trusted_keys(env):
        if entry["fingerprint"] == signer_fingerprint:
            return str(entry["source"])
    return None


def trust_key(env: Env, path: Path, *, name: str | None = None) -> dict[str, Any]:
    """Add the public key in ``path`` to the trusted keys; returns its entry (``new`` says if it
    was not trusted before). Trusting a key twice changes nothing but its name."""
    public = load_public_key(path)
    fp = fingerprint(public)
    label = name or _name_in_export(path) or path.stem
    entries = _read_trusted(env)
    own = site_public_key(env)
    if own is not None and fingerprint(own) == fp:
        return {"fingerprint": fp, "name": label, "source": SITE, "new": False}
    existing = next((e for e in entries if e["fingerprint"] == fp), None)
    if existing is not None:
        new = False
        if name:
            existing["name"] = name
        entry = existing
    else:
        new = True
        entry = {
            "fingerprint": fp,
            "public_key": base64.b64encode(raw_public_bytes(public)).decode("ascii"),
            "name": label,
            "added_at": env.now().isoformat(timespec="seconds"),
        }
        entries.append(entry)
    _write_trusted(env, entries)
    return {"fingerprint": fp, "name": entry["name"], "source": TRUSTED, "new": new}


def untrust_key(env: Env, fp: str) -> dict[str, Any]:
    """Stop trusting an added key (given by its fingerprint, with or without ``SHA256:``)."""
    wanted = _normal_fp(fp)
    entries = _read_trusted(env)
    keep = [e for e in entries if _normal_fp(e["fingerprint"]) != wanted]
    if len(keep) == len(entries):
        raise NotFound(
            _("no trusted key has the fingerprint {fp}").format(fp=fp),
            hint=_("`refurb keys list` shows the trusted keys"),
        )
    _write_trusted(env, keep)
    gone = next(e for e in entries if _normal_fp(e["fingerprint"]) == wanted)
    return {"fingerprint": gone["fingerprint"], "name": gone.get("name")}


def export_text(env: Env, site: str | None) -> str:
    """The site's public key as a file to hand out: its name and fingerprint, then the PEM."""
    from cryptography.hazmat.primitives import serialization

    own = site_public_key(env)
    if own is None:
        raise NotFound(
            _("no site signing key at {path}").format(path=private_key_path(env)),
            hint=_("run `refurb init` on this workstation to create one"),
        )
    pem = own.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    head = f"refurb site key: {site}\n" if site else "refurb site key\n"
    return head + f"fingerprint: {fingerprint(own)}\n" + pem


def _name_in_export(path: Path) -> str | None:
    try:
        first = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
    except OSError:
        return None
    prefix = "refurb site key: "
    if not first.startswith(prefix):
        return None
    return first[len(prefix) :].strip() or None


def _normal_fp(fp: str) -> str:
    digest = fp.strip().split(":", 1)[-1] if ":" in fp else fp.strip()
    return digest.replace(" ", "").lower()


def _read_trusted(env: Env) -> list[dict[str, Any]]:
    import json

    path = trusted_path(env)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(
            _("cannot read the trusted keys {path}: {why}").format(
                path=path, why=exc.strerror or exc
            )
        ) from exc
    try:
        doc = json.loads(raw.decode("utf-8"))
        entries = doc["keys"]
        out = []
        for e in entries:
            public = public_key_from_bytes(str(e["public_key"]).encode("ascii"))
            # The fingerprint is always recomputed: an edited entry cannot claim another key.
            out.append(
                {
                    "fingerprint": fingerprint(public),
                    "public_key": e["public_key"],
                    "name": e.get("name"),
                    "added_at": e.get("added_at"),
                }
            )
        return out
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, InvalidInput) as exc:
        raise StoreError(
            _("the trusted keys file {path} is damaged: {why}").format(path=path, why=exc),
            hint=_("restore it from a backup, or delete it and trust the keys again"),
        ) from None


def _write_trusted(env: Env, entries: list[dict[str, Any]]) -> None:
    import json

    path = trusted_path(env)
    doc = {"schema": "refurb.trusted-keys/1", "keys": entries}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(
            _("cannot write the trusted keys {path}: {why}").format(
                path=path, why=exc.strerror or exc
            )
        ) from exc
