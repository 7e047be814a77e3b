"""Devices as rows for other systems: every field, the Open Repair Data Standard, Snipe-IT.

Rows are streamed from the database in chunks (a few thousand at a time), never all loaded.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.reports.model import DEFAULT_KIND, Filters
from refurb.reports.stock import DEVICES, EVENTS, column, device_conditions

if TYPE_CHECKING:
    from refurb.store import Store

CHUNK = 5000

# -- every device, every field ------------------------------------------------------------------


def device_fields() -> list[str]:
    """The devices table's columns, in table order (a column added to the model is exported)."""
    return [c.name for c in DEVICES.columns]


def device_field_types() -> list[str]:
    """How each column goes into a spreadsheet: numbers, timestamps (``*_at``) or text."""
    from sqlalchemy import Float, Integer

    out = []
    for c in DEVICES.columns:
        if isinstance(c.type, Integer | Float):
            out.append("number")
        elif c.name.endswith("_at"):
            out.append("time")
        else:
            out.append("text")
    return out


def count(store: Store, filters: Filters) -> int:
    stmt = select(func.count()).select_from(DEVICES).where(*device_conditions(filters))
    return int(store.session.execute(stmt).scalar_one())


def device_rows(store: Store, filters: Filters) -> Iterator[tuple[Any, ...]]:
    stmt = (
        select(DEVICES)
        .where(*device_conditions(filters))
        .order_by(DEVICES.c.created_at, DEVICES.c.asset_id)
        .execution_options(yield_per=CHUNK)
    )
    for row in store.session.execute(stmt):
        yield tuple(row)


# -- Open Repair Data Standard v0.3 -------------------------------------------------------------

ORDS_FIELDS = (
    "id",
    "data_provider",
    "country",
    "partner_product_category",
    "product_category",
    "product_category_id",
    "brand",
    "year_of_manufacture",
    "product_age",
    "repair_status",
    "repair_barrier_if_end_of_life",
    "group_identifier",
    "event_date",
    "problem",
)
# refurb kind -> ORDS v0.3 product category (id, name as in the standard's category list)
ORDS_CATEGORIES: dict[str, tuple[int, str]] = {
    "laptop": (16, "Laptop"),
    "desktop": (4, "Desktop computer"),
    "tablet": (30, "Tablet"),
    "phone": (19, "Mobile"),
    "screen": (8, "Flat screen"),
}
ORDS_MISC = (18, "Misc")
# refurb status -> ORDS repair status: a device fit for a second user is Fixed; one still on the
# bench is Repairable; one taken apart or recycled reached its End of life.
ORDS_STATUS = {
    "intake": "Unknown",
    "in_progress": "Repairable",
    "quarantine": "Repairable",
    "ready": "Fixed",
    "on_loan": "Fixed",
    "handed_out": "Fixed",
    "parts": "End of life",
    "recycled": "End of life",
}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ords_number(asset_id: str) -> int:
    """The asset id's 45-bit number: unique per device, so ``<provider>-<number>`` is too."""
    body = asset_id.removeprefix("RF-").replace("-", "")[:9]
    number = 0
    for char in body:
        number = number * 32 + _CROCKFORD.index(char)
    return number


def _ords_settings(config: Mapping[str, Any], country: str | None) -> dict[str, str]:
    table = config.get("ords") if isinstance(config.get("ords"), Mapping) else {}
    site = str(config.get("site") or "").strip()
    provider = str(table.get("data_provider") or site).strip()
    if not provider:
        raise InvalidInput(
            _("the Open Repair export needs the data provider's name"),
            _("set the site name with refurb init --site NAME, or data_provider in [ords]"),
        )
    code = str(country or table.get("country") or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidInput(
            _(
                "the Open Repair export needs the country as a 3-letter ISO code, not {code!r}"
            ).format(code=code)
            if code
            else _("the Open Repair export needs the country"),
            _('pass --country BEL, or set country = "BEL" in the [ords] table of config.toml'),
        )
    plain = unicodedata.normalize("NFKD", str(table.get("id_prefix") or provider).lower())
    prefix = re.sub(r"[^a-z]", "", plain) or "refurb"  # the standard's ids: ^[a-z]+-[0-9]+$
    return {
        "provider": provider,
        "country": code,
        "prefix": prefix,
        "group": str(table.get("group_identifier") or site or provider),
    }


def ords_rows(
    store: Store, filters: Filters, config: Mapping[str, Any], country: str | None = None
) -> Iterator[dict[str, Any]]:
    """One ORDS record per device worked on (a device only taken in is no repair attempt yet,
    unless --status asks for it). event_date is the device's last status change."""
    settings = _ords_settings(config, country)
    last = (
        select(EVENTS.c.asset_id, func.max(EVENTS.c.seq).label("seq"))
        .where(EVENTS.c.kind == "status")
        .group_by(EVENTS.c.asset_id)
        .subquery()
    )
    status_ev = EVENTS.alias("status_event")
    kind = column("kind")
    cols = [
        DEVICES.c.asset_id,
        DEVICES.c.status,
        DEVICES.c.manufacturer,
        DEVICES.c.created_at,
        status_ev.c.created_at,
        status_ev.c.payload,
        kind if kind is not None else DEVICES.c.asset_id.label("no_kind"),
    ]
    where = device_conditions(filters)
    if not filters.status:
        where.append(DEVICES.c.status != "intake")
    stmt = (
        select(*cols)
        .select_from(
            DEVICES.outerjoin(last, last.c.asset_id == DEVICES.c.asset_id).outerjoin(
                status_ev, status_ev.c.seq == last.c.seq
            )
        )
        .where(*where)
        .order_by(DEVICES.c.created_at, DEVICES.c.asset_id)
        .execution_options(yield_per=CHUNK)
    )
    for asset_id, status, maker, created, changed, payload, kind_value in store.session.execute(
        stmt
    ):
        device_kind = (kind_value if kind is not None else None) or DEFAULT_KIND
        cat_id, cat_name = ORDS_CATEGORIES.get(device_kind, ORDS_MISC)
        reason = ""
        if payload:
            reason = str(json.loads(payload).get("reason") or "")
        yield {
            "id": f"{settings['prefix']}-{ords_number(asset_id)}",
            "data_provider": settings["provider"],
            "country": settings["country"],
            "partner_product_category": device_kind,
            "product_category": cat_name,
            "product_category_id": cat_id,
            "brand": maker or "Unknown",
            "year_of_manufacture": "",
            "product_age": "",
            "repair_status": ORDS_STATUS.get(status, "Unknown"),
            "repair_barrier_if_end_of_life": "",
            "group_identifier": settings["group"],
            "event_date": str(changed or created)[:10],
            "problem": reason.replace("\n", " ").strip(),
        }


# -- Snipe-IT asset importer --------------------------------------------------------------------

# Header names Snipe-IT's importer matches (case-insensitive) to its asset fields.
SNIPEIT_STANDARD = (
    "Asset Tag",
    "Serial Number",
    "Model Name",
    "Manufacturer",
    "Category",
    "Status",
    "Location",
    "Notes",
)
# Custom fields: the importer fills a column whose header is an existing custom field's name, so
# a site creates these five in Snipe-IT once (Settings > Custom Fields) and adds them to the
# fieldset of its laptop models.
SNIPEIT_CUSTOM = ("CPU", "RAM", "Storage", "Grade", "Erasure Date")
SNIPEIT_FIELDS = SNIPEIT_STANDARD + SNIPEIT_CUSTOM
SNIPEIT_CATEGORIES = {
    "laptop": "Laptops",
    "desktop": "Desktops",
    "tablet": "Tablets",
    "phone": "Mobile Phones",
    "screen": "Monitors",
}
# refurb status -> one of Snipe-IT's default status labels (a site may map to its own).
SNIPEIT_STATUS = {
    "intake": "Pending",
    "in_progress": "Pending",
    "quarantine": "Out for Diagnostics",
    "ready": "Ready to Deploy",
    "on_loan": "Ready to Deploy",
    "handed_out": "Archived",
    "parts": "Broken - Not Fixable",
    "recycled": "Archived",
}


def _gb(n: int | None) -> str:
    return f"{n / 2**30:.0f} GB" if n else ""


def snipeit_rows(
    store: Store, filters: Filters, config: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    table = config.get("snipeit") if isinstance(config.get("snipeit"), Mapping) else {}
    status_map = {**SNIPEIT_STATUS, **(table.get("status") or {})}
    kind = column("kind")
    d = DEVICES.c
    cols = [
        d.asset_id,
        d.serial,
        d.model,
        d.manufacturer,
        d.status,
        d.location,
        d.notes,
        d.cpu,
        d.ram_bytes,
        d.storage,
        d.grade,
        d.erased_at,
        kind if kind is not None else d.asset_id.label("no_kind"),
    ]
    stmt = (
        select(*cols)
        .where(*device_conditions(filters))
        .order_by(d.created_at, d.asset_id)
        .execution_options(yield_per=CHUNK)
    )
    for row in store.session.execute(stmt):
        (
            asset,
            serial,
            model,
            maker,
            status,
            location,
            notes,
            cpu,
            ram,
            storage,
            grade,
            erased,
            kind_value,
        ) = row
        device_kind = (kind_value if kind is not None else None) or DEFAULT_KIND
        yield {
            "Asset Tag": asset,
            "Serial Number": serial or "",
            "Model Name": model or _("Unknown model"),
            "Manufacturer": maker or "",
            "Category": SNIPEIT_CATEGORIES.get(device_kind, device_kind.capitalize()),
            "Status": status_map.get(status, status),
            "Location": location or "",
            "Notes": notes or "",
            "CPU": cpu or "",
            "RAM": _gb(ram),
            "Storage": storage or "",
            "Grade": grade or "",
            "Erasure Date": (erased or "")[:10],
        }
