"""``dmidecode`` text -> system, BIOS, chassis, processor and memory facts.

Result::

    {"system": {manufacturer, product_name, version, model, serial, sku, family, chassis_type,
                uuid},
     "bios": {vendor, version, date},
     "processor": {model, vendor, cores, threads} | None,
     "memory": {installed_bytes, slots_total, slots_used, modules: [
                   {locator, size_bytes, type, speed_mts, soldered, manufacturer, part_number,
                    serial}]},
     "raw": {"system": {...}, "bios": {...}, "chassis": {...}},   # first block, values trimmed
     "structures": int, "warnings": [str]}

Values in ``system``/``bios``/``memory`` have placeholders removed (:mod:`refurb.parsers.clean`);
``raw`` keeps the firmware's text (trimmed) for people and tests. Vendor quirks live in
:func:`model_name`. Empty input or text that holds no DMI structure gives empty sections and a
warning, never an exception.
"""

from __future__ import annotations

import re
from typing import Any

from refurb.i18n import _
from refurb.parsers import clean

_HANDLE = re.compile(r"^Handle 0x([0-9A-Fa-f]+), DMI type (\d+), (\d+) bytes")


def tokenize(text: str) -> list[dict[str, Any]]:
    """Split dmidecode output into structures: ``{"type", "handle", "title", "fields"}``.

    ``fields`` maps a key to its trimmed value; a key followed by indented items (``Flags:``,
    ``Characteristics:``) maps to the list of those items.
    """
    blocks: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    last_key: str | None = None
    for line in text.splitlines():
        match = _HANDLE.match(line)
        if match:
            current = {
                "type": int(match.group(2)),
                "handle": "0x" + match.group(1).upper(),
                "title": None,
                "fields": {},
            }
            blocks.append(current)
            last_key = None
            continue
        if current is None or not line.strip():
            continue
        stripped = line.strip()
        lead = line[: len(line) - len(line.lstrip())]
        if not lead:
            if current["title"] is None:
                current["title"] = stripped
            continue
        depth = lead.count("\t") + lead.count(" ") // 4
        if depth >= 2:
            if last_key is not None:
                value = current["fields"].get(last_key)
                if not isinstance(value, list):
                    value = [] if not value else [value]
                    current["fields"][last_key] = value
                value.append(stripped)
            continue
        key, sep, value = stripped.partition(":")
        if not sep:
            last_key = None  # a bare line (masked UUID, OEM data): not a field
            continue
        key = key.strip()
        current["fields"].setdefault(key, value.strip())
        last_key = key
    return blocks


def _first(blocks: list[dict[str, Any]], dmi_type: int) -> dict[str, Any]:
    for block in blocks:
        if block["type"] == dmi_type:
            return block["fields"]
    return {}


def _str(fields: dict[str, Any], key: str) -> str | None:
    value = fields.get(key)
    return value if isinstance(value, str) else None


# A machine-type code: 4 characters (``81W1``), 5 digits on older IdeaPads (``20351``, a G50-70), or
# type + model (``0768BNG``, ``20FMA03MCL``).
_LENOVO_MACHINE_TYPE = re.compile(r"^[0-9]{2}[0-9A-Z]{2,10}$")
_DOWNGRADE_TAG = re.compile(r"\s+W\d{1,2}DG$")
_HP_PART_SUFFIX = re.compile(r"\s*\((?=[A-Z0-9#]*#)[A-Z0-9#]{5,}\)$")


def model_name(manufacturer: str | None, product: str | None, version: str | None) -> str | None:
    """The name a person writes on a label, from cleaned DMI System Information strings.

    - Lenovo puts a machine-type code in Product Name (``20FMA03MCL``, ``20351``) and the model in
      Version (``ThinkPad T460``, ``Lenovo G50-70``); a trailing ``W10DG`` (Windows-downgrade tag)
      is dropped.
    - HP sometimes appends the order number: ``HP Compaq 6730b (GW682AV#ABB)``.
    - ASUS repeats the model after an underscore: ``VivoBook_ASUSLaptop X512DA_X512DA``.
    """
    vendor = (manufacturer or "").lower()
    model = product
    lenovo_version = (
        vendor.startswith("lenovo")
        and version
        and version.lower()
        not in (
            "lenovo",
            "thinkpad",
        )
    )
    if lenovo_version and (product is None or _LENOVO_MACHINE_TYPE.match(product)):
        model = version
    if model is None:
        return None
    model = _DOWNGRADE_TAG.sub("", model)
    if vendor.startswith(("hp", "hewlett")):
        model = _HP_PART_SUFFIX.sub("", model)
    if vendor.startswith("asus"):
        model = model.replace("_ASUSLaptop", "")
        dup = re.match(r"^(.*?)(\S+)_\2$", model)
        if dup:
            model = dup.group(1) + dup.group(2)
        model = model.replace("_", " ").strip()
    return model.strip() or None


# JEP106 manufacturer ids: (bank, id byte with its parity bit) -> name.
_JEP106 = {
    (1, 0xCE): "Samsung",
    (1, 0xAD): "SK Hynix",
    (1, 0x2C): "Micron",
    (1, 0x98): "Toshiba",
    (2, 0x98): "Kingston",
    (3, 0xFE): "Elpida",
    (4, 0x0B): "Nanya",
    (5, 0x43): "Ramaxel",
    (5, 0xCB): "A-DATA",
    (5, 0xCD): "G.Skill",
    (6, 0x9B): "Crucial",
    (2, 0x4F): "Transcend",
}
# Ids some firmware prints with the id byte first (``CE00``).
_JEDEC_REVERSED = {
    "CE00": "Samsung",
    "AD00": "SK Hynix",
    "2C00": "Micron",
    "9B05": "Crucial",
    "9801": "Kingston",
    "CB04": "A-DATA",
    "0B03": "Nanya",
    "FE02": "Elpida",
    "4304": "Ramaxel",
}


def _jep106(code: str) -> str | None:
    """Name for a hex id code: ``80CE...`` (bank-1 byte with parity, then the id) or ``7F98...``
    (one ``7F`` continuation byte per bank after the first, then the id)."""
    if code[:4] in _JEDEC_REVERSED:
        return _JEDEC_REVERSED[code[:4]]
    pairs = [int(code[i : i + 2], 16) for i in range(0, len(code) - 1, 2)]
    if pairs and pairs[0] == 0x7F:
        bank = 1
        while pairs and pairs[0] == 0x7F:
            bank += 1
            pairs.pop(0)
        return _JEP106.get((bank, pairs[0])) if pairs else None
    if len(pairs) >= 2:
        return _JEP106.get(((pairs[0] & 0x7F) + 1, pairs[1]))
    return None


def memory_manufacturer(value: str | None) -> str | None:
    """Module maker; JEDEC id codes some firmware prints (``80CE000080CE``, ``7F98000000000000``)
    become names, and codes not in the table stay as printed."""
    value = clean.text(value)
    if value is None:
        return None
    code = value.upper().removeprefix("0X")
    if re.fullmatch(r"[0-9A-F]{4,16}", code) and len(code) % 2 == 0:
        if not code.strip("0"):
            return None  # "0x0000": an id nobody wrote (MacBook5,1)
        return _jep106(code) or value
    return value


def part_number(value: str | None) -> str | None:
    """Module part number; Apple firmware prints it as hex-encoded ASCII
    (``0x4D34373142...`` = ``M471B...``), all zeros for an unknown one."""
    value = clean.text(value)
    if value is None or not re.fullmatch(r"0[xX](?:[0-9A-Fa-f]{2}){4,}", value):
        return value
    raw = bytes.fromhex(value[2:]).replace(b"\x00", b"")
    if not raw:
        return None
    if all(32 <= b < 127 for b in raw):
        return clean.text(raw.decode("ascii"))
    return value


def _memory_type(fields: dict[str, Any], speed_mts: int | None) -> str | None:
    """The module type; dmidecode before 3.3 prints DDR5 and LPDDR5 as ``<OUT OF SPEC>``.

    Those are the only types newer than 3.2 knows, so an out-of-spec module of 4000 MT/s or more
    is DDR5 when it sits in a (SO-)DIMM slot, and a soldered one (``Row Of Chips``) of 4800 MT/s
    or more is LPDDR5: DDR4 modules stop at 3200 MT/s, LPDDR4X at 4267 (Dell Precision 3581,
    dmidecode 3.2).
    """
    raw = (_str(fields, "Type") or "").strip()
    if raw.upper() != "<OUT OF SPEC>":
        return clean.text(raw)
    form = (_str(fields, "Form Factor") or "").lower()
    if speed_mts is None or speed_mts < 4000:
        return None
    if form in ("sodimm", "dimm"):
        return "DDR5"
    if form == "row of chips" and speed_mts >= 4800:
        return "LPDDR5"
    return None


def _soldered(form_factor: str | None) -> bool | None:
    """True for memory on the board (``Row Of Chips``: LPDDR in thin laptops, which no slot
    holds), False for a module in a slot, None when the firmware does not say."""
    form = (form_factor or "").strip().lower()
    if form in ("row of chips", "chip"):
        return True
    if form in ("sodimm", "dimm", "so-dimm", "rimm", "sorimm", "camm"):
        return False
    return None


def _module(fields: dict[str, Any]) -> dict[str, Any]:
    speed = _str(fields, "Speed")
    speed_mts = clean.leading_int(speed) if speed and "unknown" not in speed.lower() else None
    return {
        "locator": clean.text(_str(fields, "Locator")),
        "size_bytes": clean.dmi_size(_str(fields, "Size")),
        "type": _memory_type(fields, speed_mts),
        "speed_mts": speed_mts,
        "soldered": _soldered(_str(fields, "Form Factor")),
        "manufacturer": memory_manufacturer(_str(fields, "Manufacturer")),
        "part_number": part_number(_str(fields, "Part Number")),
        "serial": clean.serial(_str(fields, "Serial Number")),
    }


_NOT_RAM_TYPES = frozenset({"flash", "rom", "eprom", "eeprom", "feprom"})


def _is_ram(fields: dict[str, Any], array_use: dict[str, str]) -> bool:
    """False for the BIOS flash chip some firmware lists as a Memory Device (Panasonic CF-53:
    ``Type: Flash`` in a ``Use: Flash Memory`` array), which is neither RAM nor a slot."""
    use = array_use.get((_str(fields, "Array Handle") or "").upper())
    if use and "system memory" not in use.lower():
        return False
    return (_str(fields, "Type") or "").lower() not in _NOT_RAM_TYPES


def _memory(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    array_use = {
        b["handle"].upper(): _str(b["fields"], "Use") or "" for b in blocks if b["type"] == 16
    }
    devices = [b["fields"] for b in blocks if b["type"] == 17 and _is_ram(b["fields"], array_use)]
    modules = [_module(f) for f in devices]
    populated = [m for m in modules if m["size_bytes"]]
    known = [m["size_bytes"] for m in modules if m["size_bytes"] is not None]
    return {
        "installed_bytes": sum(known) if devices else None,
        "slots_total": len(devices) if devices else None,
        "slots_used": len(populated) if devices else None,
        "modules": populated,
    }


def _family_name(vendor: str | None, fields: dict[str, Any]) -> str | None:
    """``Intel Core 2 Duo`` from the Family field, for firmware whose Version says ``Not Specified``
    (Dell Latitude D630): the family still tells how old the processor is."""
    family = clean.text(_str(fields, "Family"))
    if family is None or family.lower().startswith(("unknown", "other", "<")):
        return None
    low = (vendor or "").lower()
    brand = None
    if "intel" in low:
        brand = "Intel"
    elif "amd" in low or "advanced micro" in low:
        brand = "AMD"
    if brand and not family.lower().startswith(brand.lower()):
        return f"{brand} {family}"
    return family


def _processor(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    for block in blocks:
        fields = block["fields"]
        if block["type"] != 4 or "Populated" not in (_str(fields, "Status") or "Populated"):
            continue
        vendor = clean.text(_str(fields, "Manufacturer"))
        model = clean.text(_str(fields, "Version")) or _family_name(vendor, fields)
        if model is None:
            continue
        return {
            "model": " ".join(model.split()),
            "vendor": vendor,
            "cores": clean.leading_int(_str(fields, "Core Count")),
            "threads": clean.leading_int(_str(fields, "Thread Count")),
        }
    return None


def _iso_date(value: str | None) -> str | None:
    """DMI dates are MM/DD/YYYY (sometimes YY); ISO is what JSON readers expect."""
    if value is None:
        return None
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", value)
    if not match:
        return value
    month, day, year = (int(g) for g in match.groups())
    if year < 100:
        year += 1900 if year >= 80 else 2000
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return value
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse(text: str) -> dict[str, Any]:
    """Facts from ``dmidecode`` output; never raises on garbled input."""
    warnings: list[str] = []
    if not isinstance(text, str):
        text = ""
    blocks = tokenize(text)
    system = _first(blocks, 1)
    bios = _first(blocks, 0)
    chassis = _first(blocks, 3)
    manufacturer = clean.text(_str(system, "Manufacturer"))
    product = clean.text(_str(system, "Product Name"))
    version = clean.text(_str(system, "Version"))
    if not blocks:
        lower = text.lower()
        if "permission denied" in lower:
            warnings.append(_("dmidecode output: permission denied (needs root)"))
        elif "no smbios" in lower or "no dmi" in lower:
            warnings.append(_("dmidecode found no SMBIOS/DMI table (a virtual machine?)"))
        else:
            warnings.append(_("no DMI structures in dmidecode output"))
    elif not system:
        warnings.append(_("no System Information (DMI type 1) in dmidecode output"))

    raw = {
        name: {k: v for k, v in fields.items() if isinstance(v, str)}
        for name, fields in (("system", system), ("bios", bios), ("chassis", chassis))
    }
    return {
        "system": {
            "manufacturer": manufacturer,
            "product_name": product,
            "version": version,
            "model": model_name(manufacturer, product, version),
            "serial": clean.serial(_str(system, "Serial Number")),
            "sku": clean.text(_str(system, "SKU Number")),
            "family": clean.text(_str(system, "Family")),
            "chassis_type": clean.text(_str(chassis, "Type")),
            "uuid": clean.uuid(_str(system, "UUID")),
        },
        "bios": {
            "vendor": clean.text(_str(bios, "Vendor")),
            "version": clean.text(_str(bios, "Version")),
            "date": _iso_date(clean.text(_str(bios, "Release Date"))),
        },
        "processor": _processor(blocks),
        "memory": _memory(blocks),
        "raw": raw,
        "structures": len(blocks),
        "warnings": warnings,
    }
