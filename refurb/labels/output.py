"""Making label files: lay out every label, build the QR codes, and write PNG, SVG, PDF or ZPL.

Several labels go in order: on a sheet template they fill the cells row by row (after ``skip``
used cells on the first sheet), on a roll template each label is its own page or image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refurb.errors import InvalidInput, StoreError
from refurb.i18n import _
from refurb.labels.data import LabelData, qr_payload
from refurb.labels.templates import Template

FORMATS = ("png", "svg", "pdf", "zpl")
Progress = Callable[[int, int], None]


@dataclass
class Prepared:
    """One label laid out, with its QR matrix."""

    data: LabelData
    layout: Any  # LabelLayout
    matrix: list[list[bool]]

    def summary(self) -> dict[str, Any]:
        spec = self.layout.qr
        return {
            "asset_id": self.data.asset_id,
            "qr": self.layout.payload,
            "qr_version": spec.version,
            "qr_ecc": spec.ecc,
            "module_mm": round(spec.module_mm, 3),
            "warnings": list(self.layout.warnings),
        }


@dataclass
class Rendered:
    """What a run produced: the files (name, bytes) before they are written, and the labels."""

    template: Template
    format: str
    labels: list[Prepared]
    files: list[tuple[str, bytes]] = field(default_factory=list)
    pages: int = 0


def default_format(template: Template, count: int) -> str:
    if template.printer == "zpl":
        return "zpl"
    if template.kind == "sheet" or count > 1:
        return "pdf"
    return "png"


def format_for(out: str | None, fmt: str | None, template: Template, count: int) -> str:
    """The output format from --format, else the file's suffix, else the template's natural one."""
    suffix = Path(out).suffix.lower().lstrip(".") if out and out != "-" else ""
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise InvalidInput(
                _("unknown format {fmt!r}").format(fmt=fmt),
                _("choose one of {choices}").format(choices=", ".join(FORMATS)),
            )
        if suffix in FORMATS and suffix != fmt:
            raise InvalidInput(
                _("--format {fmt} does not match the file name {out}").format(fmt=fmt, out=out)
            )
        return fmt
    if suffix:
        if suffix not in FORMATS:
            raise InvalidInput(
                _("cannot tell the format of {out}").format(out=out),
                _("name it .png, .svg, .pdf or .zpl, or give --format"),
            )
        return suffix
    return default_format(template, count)


def prepare(
    labels: Sequence[LabelData],
    template: Template,
    label_url: str | None = None,
) -> list[Prepared]:
    """Lay out each label and build all QR codes (in bulk when there are many)."""
    from refurb.labels.layout import layout
    from refurb.labels.qr import matrices

    layouts = []
    for data in labels:
        layouts.append(layout(data, template, qr_payload(data.asset_id, label_url)))
    codes = matrices([(lay.payload, lay.qr) for lay in layouts])
    return [
        Prepared(data, lay, code) for data, lay, code in zip(labels, layouts, codes, strict=True)
    ]


def _pages(items: list[Prepared], template: Template, skip: int) -> list[list[Prepared | None]]:
    per_page = template.per_page
    slots: list[Prepared | None] = [None] * skip + list(items)
    return [slots[i : i + per_page] for i in range(0, len(slots), per_page)]


def render(
    labels: Sequence[LabelData],
    template: Template,
    fmt: str,
    *,
    skip: int = 0,
    label_url: str | None = None,
    progress: Progress | None = None,
) -> Rendered:
    """Every output file as (name suffix, bytes); names are settled by ``output_names``."""
    if fmt not in FORMATS:
        raise InvalidInput(_("unknown format {fmt!r}").format(fmt=fmt))
    if not labels:
        raise InvalidInput(_("no labels to make"))
    if skip:
        if template.kind != "sheet":
            raise InvalidInput(
                _("--skip is for sheet templates; {name} is a roll").format(name=template.name)
            )
        if not 0 <= skip < template.per_page:
            raise InvalidInput(
                _("--skip must be 0 to {max} for {name}").format(
                    max=template.per_page - 1, name=template.name
                )
            )
    if fmt == "zpl" and template.kind == "sheet":
        raise InvalidInput(
            _("ZPL is for label printers; {name} is a sheet template").format(name=template.name),
            _("use a roll template such as zebra-2x1"),
        )
    items = prepare(labels, template, label_url)
    result = Rendered(template, fmt, items)
    total = len(items)
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    if template.kind == "sheet":
        pages = _pages(items, template, skip)
        result.pages = len(pages)
        if fmt == "pdf":
            from refurb.labels.vector import PdfWriter

            writer = PdfWriter(template)
            cells = template.cells()
            for page in pages:
                writer.add_page()
                for (x, y), item in zip(cells, page, strict=False):
                    if item is not None:
                        writer.draw(item.layout, item.matrix, x, y)
                        tick()
            result.files.append(("", writer.output()))
        else:
            for number, page in enumerate(pages, start=1):
                pairs = [(i.layout, i.matrix) if i else None for i in page]
                if fmt == "png":
                    from refurb.labels.raster import render_page

                    data = _png(render_page(pairs, template, template.dpi), template.dpi)
                else:
                    from refurb.labels.vector import svg_document

                    data = svg_document(pairs, template).encode()
                result.files.append((str(number), data))
                tick(sum(1 for i in page if i))
        return result

    result.pages = total
    if fmt == "pdf":
        from refurb.labels.vector import PdfWriter

        writer = PdfWriter(template)
        for item in items:
            writer.add_page()
            writer.draw(item.layout, item.matrix)
            tick()
        result.files.append(("", writer.output()))
    elif fmt == "zpl":
        from refurb.labels.raster import render_label
        from refurb.labels.zpl import label_zpl

        parts = []
        for item in items:
            image = render_label(item.layout, item.matrix, template)
            parts.append(label_zpl(image, item.data.asset_id))
            tick()
        result.files.append(("", "".join(parts).encode("ascii")))
    elif fmt == "png":
        from refurb.labels.raster import render_label

        for item in items:
            image = render_label(item.layout, item.matrix, template)
            result.files.append((item.data.asset_id, _png(image, template.dpi)))
            tick()
    else:
        from refurb.labels.vector import svg_document

        for item in items:
            doc = svg_document([(item.layout, item.matrix)], template, [(0.0, 0.0)])
            result.files.append((item.data.asset_id, doc.encode()))
            tick()
    return result


def _png(image: Any, dpi: int) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=False, compress_level=6)
    return buffer.getvalue()


def output_names(out: str, rendered: Rendered) -> list[str]:
    """File names: ``out`` itself for one file, else ``{asset}``/``{page}`` filled or a suffix."""
    keys = [key for key, _data in rendered.files]
    if len(keys) == 1 and "{" not in out:
        return [out]
    names = []
    path = Path(out)
    for key in keys:
        if "{asset}" in out or "{page}" in out:
            names.append(out.replace("{asset}", key).replace("{page}", key))
        else:
            names.append(str(path.with_name(f"{path.stem}-{key}{path.suffix}")))
    if len(set(names)) != len(names):
        raise InvalidInput(
            _("{out} would name several files alike").format(out=out),
            _("put {asset} (roll) or {page} (sheet) in the file name"),
        )
    return names


def write_files(out: str, rendered: Rendered) -> list[str]:
    """Write every file (atomically: a partly written label file never exists); their names."""
    import os

    names = output_names(out, rendered)
    for name, (_key, data) in zip(names, rendered.files, strict=True):
        path = Path(name)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            if path.parent and not path.parent.is_dir():
                raise InvalidInput(
                    _("folder {folder} does not exist").format(folder=path.parent),
                    _("create it first, or choose another --out"),
                )
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(
                _("cannot write {path}: {error}").format(path=path, error=exc.strerror or exc)
            ) from exc
    return names
