"""Label templates: the size of a label, how labels sit on a page, and which printer takes them.

Templates are data (``refurb/data/label_templates.toml``); a site adds or overrides some in
``label_templates.toml`` in its config folder. Everything is in millimetres; a template given in
printer dots (``size_px`` at ``dpi``) is converted, so a Brother QL label is laid out on exactly the
printable area the printer has.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from refurb.errors import InvalidInput, NotFound
from refurb.i18n import _

MM_PER_INCH = 25.4
SITE_FILE = "label_templates.toml"
KINDS = ("roll", "sheet")
PRINTERS = ("brother_ql", "cups", "zpl")
BROTHER_LABELS = ("62", "62x29", "29", "29x90", "62x100", "17x54", "38", "50", "54", "12")


@dataclass(frozen=True)
class Template:
    """One label stock. ``cells()`` gives where the labels of one page go."""

    name: str
    description: str
    kind: str
    width_mm: float
    height_mm: float
    dpi: int = 300
    margin_mm: float = 2.0
    printer: str = "cups"
    brother_label: str | None = None
    rotate: int = 0
    cups_media: str | None = None
    size_px: tuple[int, int] | None = None
    page_mm: tuple[float, float] | None = None
    grid: tuple[int, int] = (1, 1)
    origin_mm: tuple[float, float] = (0.0, 0.0)
    pitch_mm: tuple[float, float] = (0.0, 0.0)
    source: str = "refurb"

    @property
    def per_page(self) -> int:
        return self.grid[0] * self.grid[1]

    @property
    def page_size_mm(self) -> tuple[float, float]:
        """The page a PDF is made of: the sheet, or the label itself for a roll."""
        return self.page_mm if self.page_mm else (self.width_mm, self.height_mm)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """One label in dots at the template's dpi (exactly ``size_px`` when given)."""
        if self.size_px:
            return self.size_px
        return (
            round(self.width_mm / MM_PER_INCH * self.dpi),
            round(self.height_mm / MM_PER_INCH * self.dpi),
        )

    def cells(self) -> list[tuple[float, float]]:
        """Top-left corner (mm) of every label on a page, in filling order (rows, then columns)."""
        cols, rows = self.grid
        ox, oy = self.origin_mm
        px, py = self.pitch_mm
        return [(ox + c * px, oy + r * py) for r in range(rows) for c in range(cols)]

    def summary(self) -> dict[str, Any]:
        """JSON-able description, as `refurb labels templates --json` prints it."""
        return {
            "name": self.name,
            "description": self.description,
            "kind": self.kind,
            "size_mm": [round(self.width_mm, 2), round(self.height_mm, 2)],
            "dpi": self.dpi,
            "printer": self.printer,
            "brother_label": self.brother_label,
            "per_page": self.per_page,
            "page_mm": list(self.page_mm) if self.page_mm else None,
            "source": self.source,
        }


def _pair(value: Any, where: str, field: str, kind: type = float) -> tuple[Any, Any]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise InvalidInput(
            _("{where}: {field} must be a pair of numbers, like [62, 29]").format(
                where=where, field=field
            )
        )
    return kind(value[0]), kind(value[1])


def parse_template(name: str, raw: Any, source: str) -> Template:
    """One TOML table -> Template; InvalidInput naming the file, template and field otherwise."""
    where = f"{source} [{name}]"
    if not isinstance(raw, dict):
        raise InvalidInput(_("{where}: a template must be a table").format(where=where))
    known = {
        "description",
        "kind",
        "size_mm",
        "size_px",
        "dpi",
        "margin_mm",
        "printer",
        "brother_label",
        "rotate",
        "cups_media",
        "page_mm",
        "grid",
        "origin_mm",
        "pitch_mm",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(
            _("{where}: unknown key {key}").format(where=where, key=unknown[0]),
            _("known keys: {keys}").format(keys=", ".join(sorted(known))),
        )
    kind = raw.get("kind", "roll")
    if kind not in KINDS:
        raise InvalidInput(
            _("{where}: kind must be one of {choices}").format(
                where=where, choices=", ".join(KINDS)
            )
        )
    printer = raw.get("printer", "cups")
    if printer not in PRINTERS:
        raise InvalidInput(
            _("{where}: printer must be one of {choices}").format(
                where=where, choices=", ".join(PRINTERS)
            )
        )
    dpi = raw.get("dpi", 300)
    if not isinstance(dpi, int) or not 100 <= dpi <= 1200:
        raise InvalidInput(
            _("{where}: dpi must be a whole number from 100 to 1200").format(where=where)
        )
    size_px = None
    if "size_px" in raw:
        size_px = _pair(raw["size_px"], where, "size_px", int)
        width, height = (v / dpi * MM_PER_INCH for v in size_px)
    elif "size_mm" in raw:
        width, height = _pair(raw["size_mm"], where, "size_mm")
    else:
        raise InvalidInput(_("{where}: give size_mm or size_px").format(where=where))
    if not (5 <= width <= 500 and 5 <= height <= 500):
        raise InvalidInput(_("{where}: a label must be 5 to 500 mm each way").format(where=where))
    margin = float(raw.get("margin_mm", 2.0))
    if not 0 <= margin < min(width, height) / 4:
        raise InvalidInput(
            _("{where}: margin_mm must be at least 0 and under a quarter of the label").format(
                where=where
            )
        )
    brother_label = raw.get("brother_label")
    if printer == "brother_ql":
        if brother_label not in BROTHER_LABELS:
            raise InvalidInput(
                _("{where}: brother_label must be one of {choices}").format(
                    where=where, choices=", ".join(BROTHER_LABELS)
                )
            )
        if size_px is None:
            raise InvalidInput(
                _("{where}: a Brother QL template gives size_px (the printable dots)").format(
                    where=where
                )
            )
    rotate = raw.get("rotate", 0)
    if rotate not in (0, 90, 180, 270):
        raise InvalidInput(_("{where}: rotate must be 0, 90, 180 or 270").format(where=where))
    fields: dict[str, Any] = {}
    if kind == "sheet":
        for key in ("grid", "origin_mm", "pitch_mm"):
            if key not in raw:
                raise InvalidInput(_("{where}: a sheet needs {key}").format(where=where, key=key))
        cols, rows = _pair(raw["grid"], where, "grid", int)
        if cols < 1 or rows < 1:
            raise InvalidInput(
                _("{where}: grid needs at least one column and row").format(where=where)
            )
        page = _pair(raw.get("page_mm", [210.0, 297.0]), where, "page_mm")
        origin = _pair(raw["origin_mm"], where, "origin_mm")
        pitch = _pair(raw["pitch_mm"], where, "pitch_mm")
        right = origin[0] + (cols - 1) * pitch[0] + width
        bottom = origin[1] + (rows - 1) * pitch[1] + height
        if (
            origin[0] < 0
            or origin[1] < 0
            or right > page[0] + 0.01
            or bottom > page[1] + 0.01
            or (cols > 1 and pitch[0] < width - 0.01)
            or (rows > 1 and pitch[1] < height - 0.01)
        ):
            raise InvalidInput(
                _("{where}: the labels overlap or do not fit on the page").format(where=where),
                _("check origin_mm, pitch_mm and grid against size_mm and page_mm"),
            )
        fields = {"grid": (cols, rows), "page_mm": page, "origin_mm": origin, "pitch_mm": pitch}
    description = raw.get("description", name)
    if not isinstance(description, str):
        raise InvalidInput(_("{where}: description must be text").format(where=where))
    cups_media = raw.get("cups_media")
    return Template(
        name=name,
        description=description,
        kind=kind,
        width_mm=width,
        height_mm=height,
        dpi=dpi,
        margin_mm=margin,
        printer=printer,
        brother_label=brother_label,
        rotate=rotate,
        cups_media=str(cups_media) if cups_media else None,
        size_px=size_px,
        source=source,
        **fields,
    )


def _read(path: Path | Any, source: str) -> dict[str, Template]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            _("{source} is not valid TOML: {error}").format(source=source, error=exc)
        ) from exc
    return {name: parse_template(name, raw, source) for name, raw in data.items()}


def load_templates(config_dir: Path | None = None) -> dict[str, Template]:
    """The shipped templates, then the site's (which may replace a shipped one by name)."""
    shipped = resources.files("refurb") / "data" / "label_templates.toml"
    templates = _read(shipped, "refurb/data/label_templates.toml")
    if config_dir is not None:
        site = Path(config_dir) / SITE_FILE
        try:
            site_templates = _read(site, str(site))
        except FileNotFoundError:
            site_templates = {}
        except OSError as exc:
            raise InvalidInput(
                _("cannot read {path}: {error}").format(path=site, error=exc.strerror)
            ) from exc
        templates.update(site_templates)
    return templates


def get_template(name: str, config_dir: Path | None = None) -> Template:
    templates = load_templates(config_dir)
    try:
        return templates[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, templates, n=3)
        hint = _("did you mean {name}?").format(name=" or ".join(close)) if close else None
        raise NotFound(
            _("unknown label template {name!r}").format(name=name),
            hint or _("`refurb labels templates` lists them"),
        ) from None
