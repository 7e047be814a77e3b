"""What goes on a label: plain strings, ready to print, and the QR payload.

``LabelData`` is deliberately plain (no store types) so that layout and rendering can be tested and
benchmarked without a database; ``label_data_from_device`` builds one from the device projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from refurb import specs, units
from refurb.disks import own_disks
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


# -- turning device facts into short label text (the rules live in refurb.specs / refurb.units) --


def short_cpu(model: str | None) -> str:
    """'Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz' -> 'Core i5-6300U': what fits on a label."""
    return specs.cpu_short(model)


def disk_summary(disks: list[dict[str, Any]]) -> str:
    """'256 GB SSD' or '256 GB SSD + 1 TB HDD' from probe-style disk dicts (the laptop's own)."""
    own = [d for d in own_disks(disks) if d.get("size_bytes")]
    return specs.storage_text(own, sep=" + ") or ""


def model_line(manufacturer: str | None, model: str | None) -> str:
    """'Lenovo' + 'ThinkPad T460' -> 'Lenovo ThinkPad T460', without saying the maker twice."""
    return specs.model_line(manufacturer, model)


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

    with_specs = rule_for(state.get("kind")).specs_on_label
    model = model_line(state.get("manufacturer"), state.get("model"))
    if not with_specs:
        model = model or kind_word(state.get("kind")).capitalize()
    return LabelData(
        asset_id=state["asset_id"],
        model=model,
        cpu=short_cpu(state.get("cpu")) if with_specs else "",
        ram=units.memory_size(state.get("ram_bytes"), unknown="") if with_specs else "",
        disk=(state.get("storage") or "").replace(", ", " + ") if with_specs else "",
        grade=state.get("grade") or "",
        erased=erased_text(
            state.get("erasure"), state.get("erased_at"), state.get("erasure_method")
        ),
    )
