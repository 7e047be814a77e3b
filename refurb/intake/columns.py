"""Which spreadsheet column holds which field: headers in Dutch, French or English, or ``--map``.

Headers are compared without case, accents, spaces or punctuation, so "Numéro de série",
"numero de serie" and "N° de série" all find ``serial``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from refurb.errors import InvalidInput
from refurb.i18n import _

FIELDS = (
    "serial",
    "manufacturer",
    "model",
    "kind",
    "donor",
    "batch",
    "received",
    "notes",
    "location",
)
IGNORE = ("-", "ignore", "skip")

ALIASES: dict[str, tuple[str, ...]] = {
    "serial": (
        "serial",
        "serial number",
        "serial no",
        "serialnumber",
        "s/n",
        "sn",
        "serial nr",
        "serienummer",
        "serie nummer",
        "serienr",
        "serie nr",
        "serie",
        "numéro de série",
        "n° de série",
        "no de série",
        "num de série",
        "numéro série",
        "série",
        "n° série",
    ),
    "manufacturer": (
        "manufacturer",
        "make",
        "brand",
        "vendor",
        "maker",
        "merk",
        "fabrikant",
        "producent",
        "marque",
        "fabricant",
        "constructeur",
    ),
    "model": ("model", "model name", "modèle", "modele", "modeltype", "typenummer"),
    "kind": (
        "kind",
        "device kind",
        "device type",
        "type of device",
        "category",
        "soort",
        "soort toestel",
        "toestel",
        "type toestel",
        "toesteltype",
        "apparaat",
        "soort apparaat",
        "categorie",
        "genre",
        "type d'appareil",
        "type appareil",
        "appareil",
        "catégorie",
    ),
    "donor": (
        "donor",
        "donated by",
        "schenker",
        "donateur",
        "gever",
        "schenkende organisatie",
        "donatrice",
        "donneur",
        "don de",
    ),
    "batch": ("batch", "lot", "partij", "levering", "zending", "lot de livraison"),
    "received": (
        "received",
        "date received",
        "received on",
        "receipt date",
        "intake date",
        "date",
        "datum ontvangst",
        "ontvangstdatum",
        "ontvangen op",
        "ontvangen",
        "datum",
        "date de réception",
        "date réception",
        "reçu le",
        "date d'arrivée",
    ),
    "notes": (
        "notes",
        "note",
        "remarks",
        "comments",
        "comment",
        "opmerkingen",
        "opmerking",
        "commentaar",
        "remarques",
        "remarque",
        "commentaires",
        "commentaire",
        "observations",
    ),
    "location": ("location", "shelf", "locatie", "plaats", "rek", "emplacement", "lieu"),
}


def norm(header: Any) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]", "", text)


_LOOKUP = {norm(alias): name for name, aliases in ALIASES.items() for alias in aliases}
# "Type" is the model on some sheets ("Merk: Lenovo, Type: T460") and the kind of device on
# others ("Type: laptop"): decided by the other columns, else by what the column holds.
AMBIGUOUS = {norm("type"): ("kind", "model"), norm("types"): ("kind", "model")}


@dataclass
class Mapping:
    """Column index -> field, and the columns that were left out."""

    columns: dict[int, str]
    headers: list[str]
    ignored: list[str] = field(default_factory=list)
    # A "Type" column that may be the kind or the model, decided by its cells (``settle``).
    undecided: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def fields(self) -> set[str]:
        return set(self.columns.values())

    def settle(self, rows: Sequence[tuple[int, list[Any]]]) -> None:
        """Give each undecided column the field its cells show: kinds, else the model."""
        from refurb.intake.kinds import looks_like_kinds

        for index, choices in sorted(self.undecided.items()):
            free = [name for name in choices if name not in self.fields()]
            if not free:
                self.ignored.append(self.headers[index])
                continue
            values = [cells[index] if index < len(cells) else None for _l, cells in rows]
            name = free[0] if len(free) == 1 else ("kind" if looks_like_kinds(values) else "model")
            self.columns[index] = name
        self.undecided = {}


def parse_map(items: Sequence[str]) -> dict[str, str]:
    """``--map "Serie nr=serial"`` options -> {normalised header: field or "-"}."""
    out: dict[str, str] = {}
    for item in items:
        column, sep, name = item.rpartition("=")
        name = name.strip().lower()
        if not sep or not column.strip():
            raise InvalidInput(
                _("--map {item!r}: write COLUMN=FIELD").format(item=item),
                _("fields: {names}").format(names=", ".join(FIELDS)),
            )
        if name not in FIELDS and name not in IGNORE:
            raise InvalidInput(
                _("--map {item!r}: unknown field {name!r}").format(item=item, name=name),
                _("fields: {names} (or - to leave the column out)").format(names=", ".join(FIELDS)),
            )
        out[norm(column)] = "-" if name in IGNORE else name
    return out


def map_header(cells: Sequence[Any], overrides: dict[str, str] | None = None) -> Mapping:
    """The mapping for one header row; a field named by two columns is refused."""
    overrides = overrides or {}
    headers = [str(c).strip() if c is not None else "" for c in cells]
    columns: dict[int, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    undecided: dict[int, tuple[str, ...]] = {}
    for index, header in enumerate(headers):
        key = norm(header)
        if not key:
            continue
        name = overrides.get(key) or _LOOKUP.get(key)
        if name is None and key in AMBIGUOUS:
            undecided[index] = AMBIGUOUS[key]
            continue
        if name is None or name == "-":
            ignored.append(header)
            continue
        if name in seen:
            raise InvalidInput(
                _("columns {a!r} and {b!r} both mean {field}").format(
                    a=seen[name], b=header, field=name
                ),
                _("leave one out with --map {column}=-").format(column=header),
            )
        seen[name] = header
        columns[index] = name
    return Mapping(columns=columns, headers=headers, ignored=ignored, undecided=undecided)


def find_header(
    rows: Sequence[tuple[int, list[Any]]], overrides: dict[str, str] | None, file: str
) -> tuple[int, Mapping]:
    """(position in ``rows``, mapping) of the header: the first row naming a serial column."""
    for position, (_line, cells) in enumerate(rows[:10]):
        mapping = map_header(cells, overrides)
        if "serial" in mapping.fields():
            return position, mapping
    found = [str(c).strip() for c in rows[0][1] if c not in (None, "")] if rows else []
    raise InvalidInput(
        _(
            "{file} has no column refurb recognises as the serial number (headers found: {found})"
        ).format(file=file, found=", ".join(repr(h) for h in found) or _("none")),
        _("expected headers such as {expected}; or name the column: --map 'COLUMN=serial'").format(
            expected=", ".join(
                (
                    "Serial",
                    "Serienummer",
                    "Numéro de série",
                    "Merk",
                    "Marque",
                    "Model",
                    "Modèle",
                    "Soort",
                    "Genre",
                    "Kind",
                    "Schenker",
                    "Donateur",
                    "Donor",
                    "Datum ontvangst",
                    "Date de réception",
                    "Opmerkingen",
                    "Remarques",
                )
            )
        ),
    )
