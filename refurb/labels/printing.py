"""Sending labels to a printer: Brother QL (brother_ql-next), Zebra over the network, CUPS (lp).

Printer names:

- ``usb://0x04f9:0x209b`` (or ``usb://0x04f9:0x209b/SERIAL``), ``tcp://192.168.1.20[:9100]``,
  ``/dev/usb/lp0``: a Brother QL, for a ``brother_ql`` template;
- ``tcp://HOST[:PORT]``: a Zebra printer's raw port (9100), for a ``zpl`` template;
- ``file:PATH``: write what would be sent (Brother raster or ZPL) to PATH, to print later or check;
- anything else (or ``cups:NAME``): a CUPS queue, given the PDF (or the raw ZPL) through ``lp``.

A print counts as done only when the printer or the spooler accepted the whole job; any failure
raises, and the caller records nothing.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refurb.errors import InvalidInput, NotFound, Refused
from refurb.i18n import _
from refurb.labels.output import Prepared, render
from refurb.labels.templates import Template
from refurb.runner import Runner

DEFAULT_BROTHER_MODEL = "QL-700"


@dataclass
class PrintResult:
    printer: str
    method: str  # brother_ql, zpl, cups, file
    detail: str  # what the printer or spooler said (job id, outcome)
    bytes_sent: int = 0


def kind_of(printer: str, template: Template) -> str:
    """Which route ``printer`` takes for ``template``."""
    if printer.startswith("file:"):
        return "file"
    if printer.startswith("cups:"):
        return "cups"
    if printer.startswith(("usb://", "tcp://", "/dev/usb/")):
        if template.printer == "brother_ql":
            return "brother_ql"
        if template.printer == "zpl" and printer.startswith("tcp://"):
            return "zpl"
        raise InvalidInput(
            _("{printer} is a printer address, but template {name} is not for that printer").format(
                printer=printer, name=template.name
            ),
            _("use a brother-* template for a Brother QL, zebra-* for a Zebra, or a CUPS queue"),
        )
    return "cups"


def _no_brother_ql() -> InvalidInput:
    return InvalidInput(
        _("printing to a Brother QL needs brother_ql-next"),
        _("install it: pip install 'refurb[print]'"),
    )


def brother_raster(items: list[Prepared], template: Template, model: str) -> bytes:
    """Brother QL raster instructions for the labels, one cut label each."""
    from refurb.labels.raster import render_label, to_brother_image

    try:
        from brother_ql.conversion import convert
        from brother_ql.exceptions import BrotherQLUnknownModel
        from brother_ql.raster import BrotherQLRaster
    except ImportError as exc:
        raise _no_brother_ql() from exc
    if template.brother_label is None:
        raise InvalidInput(
            _("template {name} is not a Brother QL template").format(name=template.name)
        )
    try:
        qlr = BrotherQLRaster(model)
    except BrotherQLUnknownModel:
        raise InvalidInput(
            _("unknown Brother QL model {model!r}").format(model=model),
            _("for example QL-700, QL-800, QL-820NWB"),
        ) from None
    qlr.exception_on_warning = True
    images = [to_brother_image(render_label(i.layout, i.matrix, template), template) for i in items]
    try:
        return bytes(
            convert(qlr, images, template.brother_label, cut=True, rotate="0", compress=False)
        )
    except Exception as exc:  # brother_ql raises plain exceptions on a wrong label/model pair
        raise InvalidInput(
            _("cannot make Brother raster for {label} on {model}: {error}").format(
                label=template.brother_label, model=model, error=exc
            )
        ) from exc


def _send_brother(data: bytes, printer: str) -> str:
    try:
        from brother_ql.backends.helpers import send
    except ImportError as exc:
        raise _no_brother_ql() from exc
    backend = "pyusb" if printer.startswith("usb://") else None
    if printer.startswith("tcp://"):
        backend = "network"
    elif printer.startswith("/dev/usb/"):
        backend = "linux_kernel"
    try:
        status = send(data, printer_identifier=printer, backend_identifier=backend, blocking=True)
    except Exception as exc:  # pyusb, sockets and the backends raise many kinds
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NotFound(
            _("printer {printer} is not there: {reason}").format(printer=printer, reason=reason),
            _("check that it is switched on and connected; nothing was recorded as printed"),
        ) from exc
    outcome = status.get("outcome", "unknown")
    if outcome == "error" or not status.get("instructions_sent", False):
        state = status.get("printer_state") or {}
        errors = ", ".join(state.get("errors") or []) or outcome
        raise Refused(
            _("printer {printer} did not print: {errors}").format(printer=printer, errors=errors),
            _("check the label roll and the cover; nothing was recorded as printed"),
        )
    return str(outcome)


def _send_tcp(data: bytes, printer: str, timeout: float = 10.0) -> str:
    import socket
    from urllib.parse import urlparse

    url = urlparse(printer)
    host, port = url.hostname, url.port or 9100
    if not host:
        raise InvalidInput(_("{printer} has no host name").format(printer=printer))
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
    except OSError as exc:
        raise NotFound(
            _("printer {printer} is not there: {reason}").format(
                printer=printer, reason=exc.strerror or exc
            ),
            _("check the address and that the printer is on; nothing was recorded as printed"),
        ) from exc
    return "sent"


def _lp(runner: Runner, queue: str, path: Path, template: Template, raw: bool, title: str) -> str:
    if runner.which("lp") is None:
        raise InvalidInput(
            _("`lp` is not installed, so CUPS printer {queue} cannot be used").format(queue=queue),
            _("install the CUPS client (Debian: apt install cups-client)"),
        )
    argv = ["lp", "-d", queue, "-t", title]
    if template.cups_media:
        argv += ["-o", f"media={template.cups_media}"]
    if raw:
        argv += ["-o", "raw"]
    argv.append(str(path))
    result = runner.run(argv, timeout_s=60)
    if not result.ok:
        message = (result.stderr or result.stdout).strip().splitlines()
        reason = message[0] if message else f"exit {result.returncode}"
        raise NotFound(
            _("CUPS printer {queue}: {reason}").format(queue=queue, reason=reason),
            _("`lpstat -p` lists the printers; nothing was recorded as printed"),
        )
    return result.stdout.strip()


def print_labels(
    items_source: Any,
    template: Template,
    printer: str,
    *,
    runner: Runner,
    skip: int = 0,
    label_url: str | None = None,
    brother_model: str | None = None,
) -> PrintResult:
    """Print the labels on ``printer``; raises unless the whole job was accepted."""
    route = kind_of(printer, template)
    labels = list(items_source)
    if route in ("brother_ql", "file") and template.printer == "brother_ql":
        from refurb.labels.output import prepare

        items = prepare(labels, template, label_url)
        data = brother_raster(items, template, brother_model or DEFAULT_BROTHER_MODEL)
        if route == "file":
            return _to_file(printer, data, "brother_ql")
        detail = _send_brother(data, printer)
        return PrintResult(printer, "brother_ql", detail, len(data))
    if template.printer == "zpl" and route in ("zpl", "file", "cups"):
        rendered = render(labels, template, "zpl", label_url=label_url)
        data = rendered.files[0][1]
        if route == "file":
            return _to_file(printer, data, "zpl")
        if route == "zpl":
            return PrintResult(printer, "zpl", _send_tcp(data, printer), len(data))
        return _cups(runner, printer, template, data, ".zpl", raw=True)
    if route == "file":
        raise InvalidInput(
            _("file: printing writes Brother raster or ZPL; {name} is neither").format(
                name=template.name
            ),
            _("use --out FILE.pdf to keep a PDF instead"),
        )
    rendered = render(labels, template, "pdf", skip=skip, label_url=label_url)
    return _cups(runner, printer, template, rendered.files[0][1], ".pdf", raw=False)


def _to_file(printer: str, data: bytes, method: str) -> PrintResult:
    path = Path(printer[len("file:") :]).expanduser()
    if not str(path) or str(path) == ".":
        raise InvalidInput(_("file: needs a path, like file:label.bin"))
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise NotFound(
            _("cannot write {path}: {error}").format(path=path, error=exc.strerror or exc)
        ) from exc
    return PrintResult(printer, method, str(path), len(data))


def _cups(
    runner: Runner, printer: str, template: Template, data: bytes, suffix: str, raw: bool
) -> PrintResult:
    queue = printer[len("cups:") :] if printer.startswith("cups:") else printer
    if not queue or any(ch.isspace() for ch in queue) or queue.startswith("-"):
        raise InvalidInput(_("{printer!r} is not a CUPS printer name").format(printer=printer))
    with tempfile.TemporaryDirectory(prefix="refurb-label-") as tmp:
        path = Path(tmp) / f"labels{suffix}"
        path.write_bytes(data)
        detail = _lp(runner, queue, path, template, raw, f"refurb {template.name}")
    return PrintResult(printer, "cups", detail, len(data))
