"""Issuing one device's erasure certificate from the store: build it from the event log, sign
it with the site key, write the PDF and the JSON (both or neither), and note the issue.

Apart from :mod:`refurb.certificates` (the document) so that the document imports neither the
signing (:mod:`refurb.certificate_verify`) nor the PDF (:mod:`refurb.certificate_pdf`), which
import it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from refurb.certificates import _event_dict, build_certificate, issuer_settings, write_both


def issue_certificate(
    env: Any,
    asset: str,
    *,
    json_path: Path,
    pdf_path: Path | None = None,
    operator: str | None = None,
) -> dict[str, Any]:
    """Build, sign and write the certificate of one device; a note event records the issue."""
    from refurb import keys
    from refurb.certificate_pdf import render_pdf
    from refurb.certificate_verify import sign
    from refurb.store import open_store

    private = keys.load_private_key(keys.private_key_path(env))
    issuer = issuer_settings(env, operator)
    with open_store(env) as store:
        device = store.get_device(asset)
        events = [_event_dict(e) for e in store.events(device.asset_id)]
        body = build_certificate(
            site=issuer["site"] or "",
            site_contact=issuer["site_contact"],
            operator=issuer["operator"],
            device={
                "asset_id": device.asset_id,
                "manufacturer": device.manufacturer,
                "model": device.model,
                "serial": device.serial,
                "donor": device.donor,
                "batch": device.batch,
            },
            events=events,
            issued_at=env.now().isoformat(timespec="seconds"),
            public_key=private.public_key(),
        )
        envelope = sign(body, private)
        data = write_both(
            envelope,
            json_path,
            pdf_path,
            lambda env_, path: render_pdf(env_, path, json_name=json_path.name),
        )
        store.append(
            device.asset_id,
            "note",
            {
                "text": f"erasure certificate {body['certificate_id']} issued: {body['result']}",
                "certificate_id": body["certificate_id"],
                "result": body["result"],
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
    return {
        "asset_id": device.asset_id,
        "certificate_id": body["certificate_id"],
        "result": body["result"],
        "disks_inventoried": body["disks_inventoried"],
        "operator": body["operator"],
        "disks": body["disks"],
        "key_fingerprint": body["signer"]["key_fingerprint"],
        "json": str(json_path),
        "pdf": str(pdf_path) if pdf_path else None,
    }
