"""Rendered labels scan (zxing-cpp decodes every code) and their text stays on the label."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from support_labels import (
    HARD_MODELS,
    LONG_URL,
    SAMPLE,
    dark_box,
    decode_all,
    decode_one,
    pdf_pages,
    svg_image,
)

from refurb.labels.data import qr_payload
from refurb.labels.layout import layout
from refurb.labels.output import render, write_files
from refurb.labels.qr import MIN_MODULE_MM, matrix
from refurb.labels.raster import render_label
from refurb.labels.templates import MM_PER_INCH, load_templates
from refurb.labels.zpl import parse_graphic

TEMPLATES = load_templates()
ROLLS = [name for name, t in TEMPLATES.items() if t.kind == "roll"]
SHEETS = [name for name, t in TEMPLATES.items() if t.kind == "sheet"]


@pytest.mark.parametrize("name", list(TEMPLATES))
@pytest.mark.parametrize("label_url", [None, LONG_URL])
def test_png_of_every_template_decodes_to_its_content(name: str, label_url: str | None) -> None:
    template = TEMPLATES[name]
    rendered = render([SAMPLE], template, "png", label_url=label_url)
    image = Image.open(io.BytesIO(rendered.files[0][1]))
    assert decode_one(image) == qr_payload(SAMPLE.asset_id, label_url)
    spec = rendered.labels[0].layout.qr
    assert spec.module_mm >= MIN_MODULE_MM
    if template.kind == "roll":
        assert image.size == template.pixel_size
        # a whole number of printer dots per module, so every module prints alike
        dots = spec.module_mm / MM_PER_INCH * template.dpi
        assert abs(dots - round(dots)) < 1e-6


@pytest.mark.parametrize("name", ROLLS)
@pytest.mark.parametrize("model", HARD_MODELS)
def test_text_never_leaves_its_box(name: str, model: str) -> None:
    template = TEMPLATES[name]
    data = replace(
        SAMPLE, model=model, cpu="Intel Core i7-8650U vPro", disk="512 GB NVMe + 1 TB HDD"
    )
    lay = layout(data, template, qr_payload(data.asset_id, LONG_URL))
    code = matrix(lay.payload, lay.qr)
    text_only = render_label(lay, code, template, code=False)
    qr_only = render_label(lay, code, template, text=False)
    px = template.dpi / MM_PER_INCH
    width, height = template.pixel_size
    margin = template.margin_mm * px
    box = dark_box(text_only)
    assert box is not None, "no text drawn"
    left, top, right, bottom = box
    # inside the label's margins (one dot of anti-aliasing allowed)
    assert left >= margin - 1 and top >= margin - 1
    assert right <= width - margin + 1 and bottom <= height - margin + 1
    # and clear of the QR code and its quiet zone
    qr_left, qr_top, qr_right, qr_bottom = dark_box(qr_only)
    quiet = lay.qr.quiet * lay.qr.module_mm * px
    assert left >= qr_right + quiet - 1
    # the layout itself keeps every line in the text box
    bx, by, bw, bh = lay.text_box
    for line in lay.lines:
        assert line.x >= bx - 1e-6 and line.x + line.width <= bx + bw + 1e-6
        assert line.top >= by - 1e-6 and line.bottom <= by + bh + 1e-6
    # the model is shown (wrapped or shrunk), not silently dropped
    shown = "".join(line.text for line in lay.lines).replace(" ", "")
    assert model.replace(" ", "")[:12] in shown or any("shortened" in w for w in lay.warnings)


def test_long_model_wraps_instead_of_running_off() -> None:
    template = TEMPLATES["brother-62x29"]
    data = replace(SAMPLE, model=HARD_MODELS[0])
    lay = layout(data, template, data.asset_id)
    model_lines = [line for line in lay.lines if not line.bold][:3]
    assert len([line for line in lay.lines if line.text in HARD_MODELS[0]]) >= 2
    assert all(line.size > 1.0 for line in model_lines)


def test_fourteen_up_sheet_decodes_fourteen_codes_in_order(tmp_path: Path) -> None:
    template = TEMPLATES["avery-l7163"]
    labels = [replace(SAMPLE, asset_id=f"RF-7K3QM-{n:05d}") for n in range(14)]
    rendered = render(labels, template, "pdf")
    pdf = tmp_path / "sheet.pdf"
    write_files(str(pdf), rendered)
    (page,) = pdf_pages(pdf, dpi=200)
    px = 200 / MM_PER_INCH
    found = []
    for x, y in template.cells():
        cell = page.crop(
            (
                round(x * px),
                round(y * px),
                round((x + template.width_mm) * px),
                round((y + template.height_mm) * px),
            )
        )
        found.append(decode_one(cell))
    assert found == [label.asset_id for label in labels]
    assert len(set(found)) == 14


def test_skip_leaves_the_first_cells_empty_and_fills_on(tmp_path: Path) -> None:
    template = TEMPLATES["avery-l7160"]  # 21 a sheet
    labels = [replace(SAMPLE, asset_id=f"RF-AAAAA-{n:05d}") for n in range(20)]
    rendered = render(labels, template, "pdf", skip=5)
    assert rendered.pages == 2
    pdf = tmp_path / "two.pdf"
    write_files(str(pdf), rendered)
    pages = pdf_pages(pdf, dpi=200)
    px = 200 / MM_PER_INCH
    seen = []
    for page in pages:
        for x, y in template.cells():
            cell = page.crop(
                (
                    round(x * px),
                    round(y * px),
                    round((x + template.width_mm) * px),
                    round((y + template.height_mm) * px),
                )
            )
            seen.append(decode_all(cell))
    assert seen[:5] == [[]] * 5
    assert [codes[0] for codes in seen[5:25]] == [label.asset_id for label in labels]
    assert all(codes == [] for codes in seen[25:])


@pytest.mark.parametrize("name", ["brother-29x90", "avery-l7163"])
def test_svg_rasterised_by_librsvg_decodes(tmp_path: Path, name: str) -> None:
    template = TEMPLATES[name]
    rendered = render([SAMPLE], template, "svg", label_url=LONG_URL)
    path = tmp_path / "label.svg"
    write_files(str(path), rendered)
    image = svg_image(path)
    assert decode_one(image) == qr_payload(SAMPLE.asset_id, LONG_URL)
    # the text is drawn (as outlines) right of the code, inside the label
    assert dark_box(image) is not None
    text = path.read_text()
    assert "<text" not in text and SAMPLE.asset_id in text  # outlines; id kept in <desc>


def test_roll_pdf_has_one_label_sized_page_per_label(tmp_path: Path) -> None:
    template = TEMPLATES["dymo-30252"]
    labels = [replace(SAMPLE, asset_id=f"RF-DYMO0-{n:05d}") for n in range(3)]
    path = tmp_path / "dymo.pdf"
    write_files(str(path), render(labels, template, "pdf"))
    pages = pdf_pages(path, dpi=300)
    assert [decode_one(p) for p in pages] == [label.asset_id for label in labels]
    width_px = template.width_mm / MM_PER_INCH * 300
    assert all(abs(p.size[0] - width_px) <= 2 for p in pages)


def test_zpl_has_the_commands_and_its_bitmap_scans() -> None:
    template = TEMPLATES["zebra-2x1"]
    labels = [SAMPLE, replace(SAMPLE, asset_id="RF-ZEBRA-00002")]
    zpl = render(labels, template, "zpl", label_url=LONG_URL).files[0][1].decode("ascii")
    assert zpl.count("^XA") == 2 and zpl.count("^XZ") == 2
    for command in ("^PW406", "^LL203", "^LH0,0", "^FO0,0^GFA,", "^PQ1"):
        assert zpl.count(command) == 2, command
    images = parse_graphic(zpl)
    assert [im.size for im in images] == [(408, 203), (408, 203)]  # 51 bytes a row
    assert [decode_one(im) for im in images] == [
        qr_payload(label.asset_id, LONG_URL) for label in labels
    ]


def test_write_files_names_one_file_per_label_or_page(tmp_path: Path) -> None:
    template = TEMPLATES["brother-62x29"]
    labels = [replace(SAMPLE, asset_id=f"RF-PNG00-{n:05d}") for n in range(2)]
    rendered = render(labels, template, "png")
    names = write_files(str(tmp_path / "lab.png"), rendered)
    assert [Path(n).name for n in names] == ["lab-RF-PNG00-00000.png", "lab-RF-PNG00-00001.png"]
    names = write_files(str(tmp_path / "{asset}.png"), rendered)
    assert [Path(n).name for n in names] == ["RF-PNG00-00000.png", "RF-PNG00-00001.png"]
    assert not list(tmp_path.glob(".*.tmp"))
