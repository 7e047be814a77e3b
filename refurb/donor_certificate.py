"""One signed certificate for every device of a donor or a batch: what became of each.

A company that donated 600 laptops wants one document: each device (asset id, model, serial),
each of its disks with its erasure outcome, the device's state (erased, not yet erased, used for
parts...), and totals. The body has schema ``refurb.donor-certificate/1`` and is signed and
checked exactly like a single device's certificate (:mod:`refurb.certificate_verify`), so
``refurb wipe verify-cert`` accepts it, and detects any changed byte, the same way.

Each device is judged by the single certificate's rules (:func:`refurb.certificates.
disks_from_events`, :func:`~refurb.certificates.overall_status`): a device that was never probed
is never called erased.
"""

from __future__ import annotations

import difflib
import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.certificates import (
    DONOR_SCHEMA,
    ERASED,
    NOT_ERASED,
    NOT_INVENTORIED,
    WITH_EXCEPTIONS,
    _event_dict,
    _pick,
    device_title,
    disks_from_events,
    inventoried,
    issuer_block,
    issuer_settings,
    overall_status,
    signer_block,
    write_both,
)
from refurb.errors import InvalidInput, NotFound
from refurb.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# What became of a device, as the donor reads it (the first that applies).
STATES = (
    "erased",
    "erased_with_exceptions",
    "disks_not_inventoried",
    "erasure_failed",
    "not_yet_erased",
    "parts",
    "recycled",
)


def device_state(status: str | None, erasure: str, disks: Iterable[Mapping[str, Any]]) -> str:
    """The device's state: its erasure result, except that a device used for parts or recycled
    without a complete erasure says so, and a failed or interrupted disk is an erasure failure."""
    if erasure in (ERASED, WITH_EXCEPTIONS, NOT_INVENTORIED):
        return erasure
    if status in ("parts", "recycled"):
        return str(status)
    if any(d.get("status") in ("failed", "interrupted") for d in disks):
        return "erasure_failed"
    return "not_yet_erased"


def device_entry(device: Mapping[str, Any], events: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One device of the donor certificate, judged by the single certificate's rules."""
    disks = disks_from_events(events)
    known = inventoried(events)
    erasure = overall_status(disks, disks_known=known)
    make, model = _pick(device, "manufacturer", "make"), _pick(device, "model")
    status = _pick(device, "status")
    return {
        "asset_id": _pick(device, "asset_id"),
        "make": make,
        "model": model,
        "title": device_title(make, model),
        "serial": _pick(device, "serial"),
        "donor": _pick(device, "donor"),
        "batch": _pick(device, "batch"),
        "status": status,
        "erasure": erasure,
        "state": device_state(status, erasure, disks),
        "disks_inventoried": known,
        "disks": disks,
    }


def totals(devices: list[Mapping[str, Any]]) -> dict[str, Any]:
    by_state = Counter(str(d["state"]) for d in devices)
    return {
        "devices": len(devices),
        "disks": sum(len(d["disks"]) for d in devices),
        "disks_erased": sum(1 for d in devices for k in d["disks"] if k["status"] == ERASED),
        "by_state": {state: by_state.get(state, 0) for state in STATES},
        "by_status": dict(sorted(Counter(str(d["status"]) for d in devices).items())),
    }


def overall(devices: list[Mapping[str, Any]]) -> str:
    """``erased`` only when every device is; with exceptions when all are, some with them."""
    results = {d["erasure"] for d in devices}
    if not devices or results - {ERASED, WITH_EXCEPTIONS}:
        return NOT_ERASED
    return ERASED if results == {ERASED} else WITH_EXCEPTIONS


def build_donor_certificate(
    *,
    site: str | None,
    donor: str | None,
    batch: str | None,
    devices: Iterable[tuple[Mapping[str, Any], list[Mapping[str, Any]]]],
    issued_at: datetime | str,
    public_key: Ed25519PublicKey,
    site_contact: str | None = None,
    operator: str | None = None,
    certificate_id: str | None = None,
) -> dict[str, Any]:
    """The body (unsigned) listing ``devices``: pairs of a device row and its events."""
    entries = [device_entry(device, events) for device, events in devices]
    return {
        "schema": DONOR_SCHEMA,
        "certificate_id": certificate_id or str(uuid.uuid4()),
        **issuer_block(site, site_contact, operator, issued_at),
        "donor": donor or None,
        "batch": batch or None,
        "totals": totals(entries),
        "result": overall(entries),
        "devices": entries,
        "standard": "NIST SP 800-88 Rev. 2",
        "signer": signer_block(public_key),
    }


# -- with the store --------------------------------------------------------------------------


def _same(a: str | None, b: str) -> bool:
    return (a or "").strip().casefold() == b.strip().casefold()


def select_devices(store: Any, *, donor: str | None, batch: str | None) -> list[Any]:
    """The devices of a donor (name compared without case) and/or a batch, oldest first."""
    rows = store.list_devices(batch=batch) if batch else store.list_devices()
    if donor:
        rows = [d for d in rows if _same(d.donor, donor)]
    if rows:
        return rows
    if donor:
        known = sorted({d.donor for d in store.list_devices() if d.donor})
        close = difflib.get_close_matches(donor, known, n=3, cutoff=0.5)
        raise NotFound(
            _("no device of donor {donor}").format(donor=donor)
            + (_(" in batch {batch}").format(batch=batch) if batch else ""),
            hint=_("donors in the store: {names}").format(names=", ".join(close or known[:5]))
            if known
            else None,
        )
    known = sorted({d.batch for d in store.list_devices() if d.batch})
    close = difflib.get_close_matches(batch or "", known, n=3, cutoff=0.5)
    raise NotFound(
        _("no device in batch {batch}").format(batch=batch),
        hint=_("batches in the store: {names}").format(names=", ".join(close or known[:5]))
        if known
        else None,
    )


def issue_donor_certificate(
    env: Any,
    *,
    donor: str | None,
    batch: str | None,
    json_path: Path,
    pdf_path: Path | None = None,
    operator: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Build, sign and write the certificate of every device of a donor and/or a batch.

    Both files or neither. Nothing is appended to the devices' logs: a ``note`` per device
    cost 1.4 s of CPU for 600 devices (each event re-projects its device), and the signed file
    with its SHA-256 (returned) is the record; a single device's certificate does add a note.
    """
    from refurb import keys
    from refurb.certificate_verify import sign
    from refurb.donor_certificate_pdf import render_donor_pdf
    from refurb.store import open_store

    if not donor and not batch:
        raise InvalidInput(_("name a donor (--donor) or a batch (--batch)"))
    private = keys.load_private_key(keys.private_key_path(env))
    issuer = issuer_settings(env, operator)
    with open_store(env) as store:
        rows = select_devices(store, donor=donor, batch=batch)
        pairs = []
        for n, device in enumerate(rows, start=1):
            events = [_event_dict(e) for e in store.events(device.asset_id)]
            pairs.append((device.model_dump(), events))
            if progress is not None:
                progress(n, len(rows))
        body = build_donor_certificate(
            site=issuer["site"],
            site_contact=issuer["site_contact"],
            operator=issuer["operator"],
            donor=rows[0].donor if donor else None,
            batch=batch,
            devices=pairs,
            issued_at=env.now().isoformat(timespec="seconds"),
            public_key=private.public_key(),
        )
        envelope = sign(body, private)
        data = write_both(
            envelope,
            json_path,
            pdf_path,
            lambda env_, path: render_donor_pdf(env_, path, json_name=json_path.name),
        )
        sha256 = hashlib.sha256(data).hexdigest()
    return {
        "certificate_id": body["certificate_id"],
        "donor": body["donor"],
        "batch": body["batch"],
        "result": body["result"],
        "totals": body["totals"],
        "operator": body["operator"],
        "key_fingerprint": body["signer"]["key_fingerprint"],
        "sha256": sha256,
        "json": str(json_path),
        "pdf": str(pdf_path) if pdf_path else None,
    }
