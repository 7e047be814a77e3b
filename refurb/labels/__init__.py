"""QR labels that scan: templates (rolls and A4 sheets), PNG/SVG/PDF/ZPL output, printing.

The parts, each importable on its own (Pillow, fpdf2 and numpy are imported only when needed):

- ``templates``: label stock as data (shipped TOML + the site's ``label_templates.toml``);
- ``data``: ``LabelData``, the text of one label, and how it is made from a device;
- ``qr``: QR version / error correction for the space, and the matrices;
- ``layout``: where the code and each text line go, in millimetres;
- ``raster``, ``vector``, ``zpl``: PNG / Brother raster, SVG / PDF, ZPL;
- ``output``: rendering many labels and writing the files; ``printing``: Brother QL, Zebra, CUPS.

``make_labels`` is what ``refurb label`` runs: it reads the devices from the store, writes and/or
prints, and appends a ``label`` event per device only after the files and the print succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput, NotFound
from refurb.i18n import _, ngettext
from refurb.labels.data import LabelData, check_label_url, label_data_from_device, qr_payload
from refurb.labels.templates import Template, get_template, load_templates

if TYPE_CHECKING:
    from refurb.runner import Runner
    from refurb.store import Store

__all__ = [
    "LabelData",
    "LabelRun",
    "Template",
    "check_label_url",
    "collect_devices",
    "get_template",
    "label_data_from_device",
    "load_templates",
    "make_labels",
    "qr_payload",
]

DEFAULT_TEMPLATE = "brother-62x29"


@dataclass
class LabelRun:
    """What ``make_labels`` did, for the command to show (or print as JSON)."""

    template: str
    format: str | None
    files: list[str] = field(default_factory=list)
    printer: str | None = None
    print_detail: str | None = None
    pages: int = 0
    labels: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    stdout: bytes | None = None  # the SVG or ZPL for `--out -`

    @property
    def warnings(self) -> list[str]:
        return [f"{item['asset_id']}: {w}" for item in self.labels for w in item["warnings"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "format": self.format,
            "files": self.files,
            "printer": self.printer,
            "print_detail": self.print_detail,
            "pages": self.pages,
            "labels": self.labels,
            "events": self.events,
        }


def collect_devices(store: Store, assets: Sequence[str], batch: str | None) -> list[Any]:
    """The devices to label, in the order given (then the batch's); NotFound lists every miss."""
    from refurb.errors import RefurbError

    devices: list[Any] = []
    missing: list[str] = []
    seen: set[str] = set()
    for asset in assets:
        try:
            device = store.get_device(asset)
        except RefurbError:
            missing.append(asset)
            continue
        if device.asset_id not in seen:
            seen.add(device.asset_id)
            devices.append(device)
    if missing:
        raise NotFound(
            ngettext(
                "no device {assets} in this store",
                "no devices {assets} in this store",
                len(missing),
            ).format(assets=", ".join(missing)),
            _("nothing was labelled; see `refurb list` for the devices in this store"),
        )
    if batch:
        in_batch = store.list_devices(batch=batch)
        if not in_batch:
            raise NotFound(
                _("no devices in batch {batch!r}").format(batch=batch),
                _("batches are set at intake (`refurb intake new --batch B`)"),
            )
        for device in in_batch:
            if device.asset_id not in seen:
                seen.add(device.asset_id)
                devices.append(device)
    if not devices:
        raise InvalidInput(
            _("say which devices to label"), _("give asset ids, or --batch B for a whole batch")
        )
    return devices


def make_labels(
    store: Store,
    *,
    assets: Sequence[str],
    batch: str | None,
    template: Template,
    fmt: str | None,
    out: str | None,
    printer: str | None,
    skip: int,
    label_url: str | None,
    runner: Runner,
    brother_model: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LabelRun:
    """Write and/or print the labels of ``assets`` (and ``batch``); record them when done."""
    from refurb.labels.output import format_for, render, write_files

    if label_url:
        check_label_url(label_url)
    devices = collect_devices(store, assets, batch)
    labels = [label_data_from_device(store.device_state(d)) for d in devices]
    run = LabelRun(template=template.name, format=None)
    if out is None and printer is None:
        fmt = format_for(None, fmt, template, len(labels))
        out = f"{labels[0].asset_id}.{fmt}" if len(labels) == 1 else f"labels.{fmt}"
    if out is not None:
        fmt = format_for(out, fmt, template, len(labels))
        rendered = render(labels, template, fmt, skip=skip, label_url=label_url, progress=progress)
        run.format = fmt
        run.pages = rendered.pages
        run.labels = [item.summary() for item in rendered.labels]
        if out == "-":
            if len(rendered.files) != 1 or fmt in ("png", "pdf"):
                raise InvalidInput(
                    _("--out - writes one SVG or ZPL to the screen; give a file name instead")
                )
        else:
            run.files = write_files(out, rendered)
    if printer is not None:
        from refurb.labels.printing import print_labels

        result = print_labels(
            labels,
            template,
            printer,
            runner=runner,
            skip=skip,
            label_url=label_url,
            brother_model=brother_model,
        )
        run.printer = printer
        run.print_detail = result.detail
        if not run.labels:
            from refurb.labels.output import prepare

            run.labels = [item.summary() for item in prepare(labels, template, label_url)]
    payload_output = ", ".join(run.files) if run.files else ("-" if out == "-" else None)
    payload = {"template": template.name, "output": payload_output, "printer": printer}
    run.events += len(store.append_many((d.asset_id, "label", payload) for d in devices))
    if out == "-":
        run.stdout = rendered.files[0][1]
    return run
