"""Impact figures for funders: devices reused, kg of e-waste and kg CO2e avoided, and reach.

Every figure carries the factor it was computed with and that factor's source, so a report
never shows a number nobody can check. The defaults are published figures; a site sets its own
in the ``[impact]`` table of its settings (see docs/reports.md), and its own source text with it.

Defaults (per device of a kind; CO2e is the footprint of making a new one, times the share of
reused devices that displace a new purchase):

- weight and footprint: The Restart Project's LCA reference per Open Repair product category
  (revision 2021, CC BY-SA 4.0), as published with the Open Repair Alliance tools
  (openrepair/tools, dat/ords_category_lca_reference.csv): Laptop 1.83 kg / 265.32 kg CO2e,
  Desktop computer 6.69 / 414.17, Flat screen 8.268 / 308.952, Mobile 0.15 / 50.51,
  Tablet 0.77 / 114.49.
- displacement 0.5: the Restart Project's own displacement value (restarters.net,
  DISPLACEMENT_VALUE), which its Fixometer multiplies footprints by.
- reach: none by default; only a factor the site sets (people per device reused), and then
  labelled an estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.reports.model import ImpactLine

RESTART_LCA = (
    "The Restart Project, LCA reference data per Open Repair product category "
    "(revision 2021, CC BY-SA 4.0; openrepair/tools dat/ords_category_lca_reference.csv)"
)
RESTART_DISPLACEMENT = (
    "The Restart Project, displacement value 0.5 used by its Fixometer "
    "(restarters.net DISPLACEMENT_VALUE)"
)


@dataclass(frozen=True)
class KindFactor:
    category: str  # the Open Repair product category the figures are for
    weight_kg: float
    co2e_kg: float
    source: str


DEFAULT_FACTORS: dict[str, KindFactor] = {
    "laptop": KindFactor("Laptop", 1.83, 265.32, RESTART_LCA),
    "desktop": KindFactor("Desktop computer", 6.69, 414.17, RESTART_LCA),
    "screen": KindFactor("Flat screen", 8.268, 308.952, RESTART_LCA),
    "phone": KindFactor("Mobile", 0.15, 50.51, RESTART_LCA),
    "tablet": KindFactor("Tablet", 0.77, 114.49, RESTART_LCA),
}
DEFAULT_DISPLACEMENT = 0.5


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidInput(
            _("settings: {where} must be a number of at least 0, not {value!r}").format(
                where=where, value=value
            ),
            _("fix the [impact] table in config.toml"),
        )
    return float(value)


def _site_source(table: Mapping[str, Any], where: str) -> str:
    source = table.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InvalidInput(
            _("settings: {where} sets a factor without its source").format(where=where),
            _('add source = "..." saying where the figure comes from'),
        )
    return source.strip()


def factors(config: Mapping[str, Any]) -> tuple[dict[str, KindFactor], float, str, Any]:
    """(factors per kind, displacement, its source, reach factor or None) after site settings."""
    table = config.get("impact") or {}
    if not isinstance(table, Mapping):
        raise InvalidInput(_("settings: [impact] must be a table"))
    kinds = dict(DEFAULT_FACTORS)
    for kind, value in table.items():
        if not isinstance(value, Mapping) or kind == "reach":
            continue
        where = f"impact.{kind}"
        base = kinds.get(kind, KindFactor(kind, 0.0, 0.0, ""))
        kinds[kind] = KindFactor(
            base.category,
            _number(value.get("weight_kg", base.weight_kg), where + ".weight_kg"),
            _number(value.get("co2e_kg", base.co2e_kg), where + ".co2e_kg"),
            _site_source(value, where),
        )
    displacement, displacement_source = DEFAULT_DISPLACEMENT, RESTART_DISPLACEMENT
    if "displacement" in table:
        displacement = _number(table["displacement"], "impact.displacement")
        if displacement > 1:
            raise InvalidInput(_("settings: impact.displacement is a share, from 0 to 1"))
        displacement_source = _site_source(
            {"source": table.get("displacement_source")}, "impact.displacement"
        )
    reach = table.get("reach")
    if reach is not None:
        if not isinstance(reach, Mapping):
            raise InvalidInput(_("settings: impact.reach must be a table"))
        reach = (
            _number(reach.get("people_per_device"), "impact.reach.people_per_device"),
            _site_source(reach, "impact.reach"),
        )
    return kinds, displacement, displacement_source, reach


def _fmt(value: float) -> str:
    return f"{value:g}"


def impact_lines(reused: Mapping[str, int], config: Mapping[str, Any]) -> list[ImpactLine]:
    """The impact section from the devices reused per kind."""
    kinds, displacement, displacement_source, reach = factors(config)
    count = sum(reused.values())
    lines = [
        ImpactLine(
            "devices_reused",
            _("Devices reused (lent or handed out)"),
            float(count),
            _("devices"),
            _("counted from the event log"),
            _("this store"),
        )
    ]
    waste = co2 = 0.0
    waste_factors, co2_factors, sources = [], [], []
    unknown = []
    for kind, n in sorted(reused.items()):
        factor = kinds.get(kind)
        if factor is None:
            unknown.append(kind)
            continue
        waste += n * factor.weight_kg
        co2 += n * factor.co2e_kg * displacement
        waste_factors.append(f"{kind} {_fmt(factor.weight_kg)} kg")
        co2_factors.append(f"{kind} {_fmt(factor.co2e_kg)} kg CO2e")
        if factor.source not in sources:
            sources.append(factor.source)
    if not reused:  # say which factors would apply, so the source is still printed
        waste_factors = [f"{k} {_fmt(f.weight_kg)} kg" for k, f in kinds.items()]
        co2_factors = [f"{k} {_fmt(f.co2e_kg)} kg CO2e" for k, f in kinds.items()]
        sources = sorted({f.source for f in kinds.values()})
    per_device = _("per device: {factors}").format(factors=", ".join(waste_factors))
    if unknown:
        per_device += "; " + _("no factor for {kinds}: not counted").format(
            kinds=", ".join(unknown)
        )
    lines.append(
        ImpactLine(
            "ewaste_avoided_kg",
            _("E-waste avoided"),
            round(waste, 1),
            "kg",
            per_device,
            "; ".join(sources),
        )
    )
    lines.append(
        ImpactLine(
            "co2e_avoided_kg",
            _("CO2e avoided"),
            round(co2, 1),
            "kg CO2e",
            _("footprint of a new device ({factors}) × displacement {d}").format(
                factors=", ".join(co2_factors), d=_fmt(displacement)
            ),
            "; ".join([*sources, displacement_source]),
        )
    )
    if reach is not None:
        people, source = reach
        lines.append(
            ImpactLine(
                "people_reached",
                _("People reached (estimate)"),
                round(count * people, 1),
                _("people"),
                _("{n} people per device reused, set by the site").format(n=_fmt(people)),
                source,
                estimate=True,
            )
        )
    return lines
