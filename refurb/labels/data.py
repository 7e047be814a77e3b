"""What goes on a label: plain strings, ready to print, and the QR payload.

``LabelData`` is deliberately plain (no store types) so that layout and rendering can be tested and
benchmarked without a database; ``label_data_from_device`` builds one from the device projection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from refurb.errors import InvalidInput
from refurb.i18n import _

# Characters a QR code can carry in its compact alphanumeric mode.
_QR_ALNUM = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


@dataclass(frozen=True)
class LabelData:
    """The printed content of one label. Empty strings are simply left off."""

    asset_id: str
    model: str = ""
    cpu: str = ""
    ram: str = ""
    disk: str = ""
    grade: str = ""
    erased: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def spec_line(self) -> str:
        return " · ".join(part for part in (self.cpu, self.ram, self.disk) if part)

    def status_line(self) -> str:
        parts = []
        if self.grade:
            parts.append(_("Grade {grade}").format(grade=self.grade))
        if self.erased:
            parts.append(self.erased)
        return " · ".join(parts)


def qr_payload(asset_id: str, label_url: str | None) -> str:
    """The QR content: the asset id, or the site's ``label_url`` with ``{asset}`` filled in."""
    if not label_url:
        return asset_id
    check_label_url(label_url)
    return label_url.replace("{asset}", asset_id)


def check_label_url(label_url: str) -> None:
    """A label_url must say where the asset id goes; a fixed URL would make every label alike."""
    if "{asset}" not in label_url:
        raise InvalidInput(
            _("label_url {url!r} in the config has no {{asset}}").format(url=label_url),
            _("write it like https://stock.example.org/d/{asset}"),
        )
    rest = label_url.replace("{asset}", "")
    if "{" in rest or "}" in rest:
        raise InvalidInput(
            _("label_url {url!r} has braces other than {{asset}}").format(url=label_url),
            _("write it like https://stock.example.org/d/{asset}"),
        )


def is_qr_alphanumeric(text: str) -> bool:
    return all(ch in _QR_ALNUM for ch in text)


# -- turning device facts into short label text --------------------------------------------------

_CPU_NOISE = [
    (re.compile(r"\((?:R|TM|tm|r)\)|®|™"), ""),
    (re.compile(r"\bCPU\b"), ""),
    (re.compile(r"@\s*[\d.]+\s*[GM]Hz", re.I), ""),
    (re.compile(r"\b\d+(?:st|nd|rd|th) Gen\b", re.I), ""),
    (re.compile(r"\s(?:with|w/)\s*Radeon.*$", re.I), ""),  # Ryzen 7040: "w/ Radeon 780M"
    (re.compile(r"\bCore2\b"), "Core 2"),
    (re.compile(r"\b(?:Processor|\d+-Core)\b", re.I), ""),
    (re.compile(r"^\s*Intel\s+"), ""),
    (re.compile(r"^\s*AMD\s+"), ""),
    (re.compile(r"\s{2,}"), " "),
]


def short_cpu(model: str | None) -> str:
    """'Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz' -> 'Core i5-6300U': what fits on a label."""
    if not model:
        return ""
    text = model
    for pattern, repl in _CPU_NOISE:
        text = pattern.sub(repl, text)
    return text.strip(" -,")


def human_bytes(size: int | None, *, disk: bool = False) -> str:
    """8589934592 -> '8 GB' (RAM, binary) and 256060514304 -> '256 GB' (disks, decimal as sold)."""
    if not size or size <= 0:
        return ""
    if disk:
        units = [(10**12, "TB"), (10**9, "GB"), (10**6, "MB")]
    else:
        units = [(2**40, "TB"), (2**30, "GB"), (2**20, "MB")]
    for factor, unit in units:
        if size >= factor * 0.95:
            value = size / factor
            text = (
                f"{value:.0f}"
                if value >= 10 or abs(value - round(value)) < 0.05
                else f"{value:.1f}"
            )
            return f"{text} {unit}"
    return f"{size} B"


def disk_summary(disks: list[dict[str, Any]]) -> str:
    """'256 GB SSD' or '256 GB SSD + 1 TB HDD' from probe-style disk dicts (USB sticks left out)."""
    parts = []
    for disk in disks:
        if (disk.get("protocol") or "").upper() == "USB":
            continue
        size = human_bytes(disk.get("size_bytes"), disk=True)
        if not size:
            continue
        protocol = (disk.get("protocol") or "").upper()
        if protocol == "NVME":
            kind = "NVMe"
        elif disk.get("rotational") is True:
            kind = "HDD"
        elif disk.get("rotational") is False:
            kind = "SSD"
        else:
            kind = ""
        parts.append(f"{size} {kind}".strip())
    return " + ".join(parts)


def model_line(manufacturer: str | None, model: str | None) -> str:
    """'Lenovo' + 'ThinkPad T460' -> 'Lenovo ThinkPad T460', without saying the maker twice."""
    manufacturer = (manufacturer or "").strip()
    model = (model or "").strip()
    if not model:
        return manufacturer
    if manufacturer and not model.lower().startswith(manufacturer.split()[0].lower()):
        return f"{manufacturer} {model}"
    return model


_MAKERS = {
    "lenovo": "Lenovo",
    "dell inc.": "Dell",
    "dell": "Dell",
    "hewlett-packard": "HP",
    "hp": "HP",
    "asustek computer inc.": "ASUS",
    "acer": "Acer",
    "toshiba": "Toshiba",
    "fujitsu": "Fujitsu",
    "fujitsu siemens": "Fujitsu Siemens",
    "apple inc.": "Apple",
    "microsoft corporation": "Microsoft",
    "samsung electronics co., ltd.": "Samsung",
    "medion": "Medion",
    "micro-star international co., ltd.": "MSI",
}


def maker_name(manufacturer: str | None) -> str:
    """'LENOVO' -> 'Lenovo', 'Dell Inc.' -> 'Dell': the name people use."""
    text = (manufacturer or "").strip()
    return _MAKERS.get(text.lower(), text)


def erased_text(erasure: str | None, erased_at: str | None, method: str | None) -> str:
    """'Erased 2024-05-03 (zero)' when every disk is erased; '' otherwise (never a guess)."""
    if erasure != "erased" or not erased_at:
        return ""
    text = _("Erased {date}").format(date=erased_at[:10])
    return f"{text} ({method})" if method else text


def label_data_from_device(state: dict[str, Any]) -> LabelData:
    """A device projection (``Store.device_state``) -> the text of its label.

    Kinds without a specs line (a screen, a tablet, a phone: see readiness.toml) print no
    CPU / RAM / disk; a device without a model names its kind instead.
    """
    from refurb.readiness import kind_word, rule_for

    specs = rule_for(state.get("kind")).specs_on_label
    model = model_line(maker_name(state.get("manufacturer")), state.get("model"))
    if not specs:
        model = model or kind_word(state.get("kind")).capitalize()
    return LabelData(
        asset_id=state["asset_id"],
        model=model,
        cpu=short_cpu(state.get("cpu")) if specs else "",
        ram=human_bytes(state.get("ram_bytes")) if specs else "",
        disk=(state.get("storage") or "").replace(", ", " + ") if specs else "",
        grade=state.get("grade") or "",
        erased=erased_text(
            state.get("erasure"), state.get("erased_at"), state.get("erasure_method")
        ),
    )
