"""Label core without rendering: templates, QR choice, the bulk mask scorer, label text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refurb import units
from refurb.errors import InvalidInput
from refurb.labels.data import (
    check_label_url,
    disk_summary,
    label_data_from_device,
    model_line,
    qr_payload,
    short_cpu,
)
from refurb.labels.layout import wrap
from refurb.labels.qr import MIN_MODULE_MM, QRSpec, _batch, choose, fit_version, matrix
from refurb.labels.templates import MM_PER_INCH, load_templates, parse_template


def test_brother_templates_match_brother_ql_printable_area() -> None:
    from brother_ql.labels import LabelsManager

    labels = LabelsManager()
    for template in load_templates().values():
        if template.printer != "brother_ql":
            continue
        spec = labels[template.brother_label]
        across, along = spec.dots_printable
        width, height = template.pixel_size
        if template.rotate in (90, 270):
            width, height = height, width
        assert width == across, template.name
        if along:  # die-cut: the whole printable length; endless: any length
            assert height == along, template.name
        assert template.dpi == 300


def test_sheet_cells_are_on_the_page_and_apart() -> None:
    for template in load_templates().values():
        if template.kind != "sheet":
            continue
        cells = template.cells()
        assert len(cells) == template.per_page
        page_w, page_h = template.page_size_mm
        for x, y in cells:
            assert x >= 0 and x + template.width_mm <= page_w + 0.01
            assert y >= 0 and y + template.height_mm <= page_h + 0.01
        assert cells[0] == template.origin_mm
        assert cells[1][0] > cells[0][0]  # filled across a row first


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"size_mm": [50]}, "size_mm"),
        ({"size_mm": [50, 25], "kind": "reel"}, "kind"),
        ({"size_mm": [50, 25], "printer": "brother_ql", "brother_label": "62"}, "size_px"),
        ({"size_mm": [50, 25], "colour": "red"}, "colour"),
        (
            {
                "size_mm": [50, 25],
                "kind": "sheet",
                "grid": [5, 1],
                "origin_mm": [0, 0],
                "pitch_mm": [50, 25],
            },
            "do not fit",
        ),
        ({"size_mm": [50, 25], "margin_mm": 20}, "margin_mm"),
    ],
)
def test_bad_templates_are_refused_naming_the_field(raw: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_template("t", raw, "site.toml")
    assert "site.toml [t]" in err.value.message
    assert field in err.value.message + (err.value.hint or "")


def test_site_template_overrides_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "label_templates.toml").write_text(
        '[avery-l7163]\ndescription = "our own"\nkind = "sheet"\nsize_mm = [99.1, 38.1]\n'
        "grid = [2, 7]\norigin_mm = [4.65, 15.15]\npitch_mm = [101.6, 38.1]\n"
    )
    assert load_templates(tmp_path)["avery-l7163"].description == "our own"


@pytest.mark.parametrize("side", [10.0, 13.0, 18.0, 22.9, 35.0])
@pytest.mark.parametrize("dpi", [203, 300, None])
def test_qr_choice_keeps_modules_printable(side: float, dpi: int | None) -> None:
    import math

    for payload in ("RF-7K3QM-X4T2A", "https://voorraad.example.org/toestel/RF-7K3QM-X4T2A"):
        try:
            spec = choose(payload, side, dpi)
        except InvalidInput:
            # only when even the smallest code at 0.4 mm (whole dots) is too big
            dot = MM_PER_INCH / dpi if dpi else 0.0
            module = math.ceil(MIN_MODULE_MM / dot - 1e-9) * dot if dpi else MIN_MODULE_MM
            assert (17 + 4 * fit_version(payload, "L") + 4) * module > side
            continue
        assert spec.module_mm >= MIN_MODULE_MM
        assert spec.side_mm <= side + 1e-9
        assert fit_version(payload, spec.ecc) == spec.version
        if dpi:
            dots = spec.module_mm / MM_PER_INCH * dpi
            assert abs(dots - round(dots)) < 1e-6


def test_qr_choice_prefers_strong_correction_when_there_is_room() -> None:
    assert choose("RF-7K3QM-X4T2A", 30.0, 300).ecc == "H"
    small = choose("https://voorraad.example.org/toestel/RF-7K3QM-X4T2A", 18.0, 300)
    assert small.ecc in ("M", "L")  # big modules beat extra correction on a small label


def test_qr_that_cannot_fit_is_an_error() -> None:
    with pytest.raises(InvalidInput) as err:
        choose("https://example.org/" + "x" * 300, 15.0, 300)
    assert "0.4 mm" in err.value.message


payloads = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F), min_size=1, max_size=80
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(payloads, st.sampled_from("LMQH")), min_size=6, max_size=12))
def test_bulk_masks_give_exactly_qrcodes_matrices(items: list[tuple[str, str]]) -> None:
    specs = [(p, QRSpec(fit_version(p, e), e, 0.5)) for p, e in items]
    assert _batch(specs) == [matrix(p, s) for p, s in specs]


def test_label_url_needs_the_asset_placeholder() -> None:
    assert qr_payload("RF-1", "https://x.org/d/{asset}") == "https://x.org/d/RF-1"
    assert qr_payload("RF-1", "") == "RF-1"
    for bad in ("https://x.org/d/", "https://x.org/{id}/{asset}"):
        with pytest.raises(InvalidInput):
            check_label_url(bad)


def test_label_text_from_a_device() -> None:
    state = {
        "asset_id": "RF-7K3QM-X4T2A",
        "manufacturer": "LENOVO",
        "model": "ThinkPad T460",
        "cpu": "Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz",
        "ram_bytes": 8 * 2**30,
        "storage": "256 GB SSD, 1000 GB HDD",
        "grade": "B",
        "erasure": "erased",
        "erased_at": "2026-03-02T10:11:12+00:00",
        "erasure_method": "prng",
    }
    data = label_data_from_device(state)
    assert data.model == "Lenovo ThinkPad T460"
    assert data.spec_line() == "Core i5-6300U · 8 GB · 256 GB SSD + 1000 GB HDD"
    assert data.status_line() == "Grade B · Erased 2026-03-02 (prng)"
    pending = label_data_from_device({**state, "erasure": "pending", "grade": None})
    assert pending.status_line() == ""  # never claims an erasure that did not happen


@pytest.mark.parametrize(
    ("raw", "short"),
    [
        ("Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz", "Core i5-6300U"),
        ("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", "Core i5-1135G7"),
        ("AMD Ryzen 5 PRO 4650U with Radeon Graphics", "Ryzen 5 PRO 4650U"),
        ("Intel(R) Celeron(R) CPU N3060 @ 1.60GHz", "Celeron N3060"),
        (None, ""),
    ],
)
def test_short_cpu(raw: str | None, short: str) -> None:
    assert short_cpu(raw) == short


def test_sizes_and_models() -> None:
    assert units.memory_size(8 * 2**30) == "8 GB"
    assert units.disk_size(256_060_514_304) == "256 GB"
    assert units.memory_size(None, unknown="") == ""
    assert model_line("HP", "HP EliteBook 840 G3") == "HP EliteBook 840 G3"
    assert (
        disk_summary(
            [
                {"size_bytes": 512 * 10**9, "protocol": "NVMe"},
                {"size_bytes": 16 * 10**9, "protocol": "USB"},
            ]
        )
        == "512 GB NVMe SSD"
    )


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=120), st.floats(1.0, 4.0), st.floats(8.0, 60.0))
def test_wrapped_lines_fit_and_keep_every_character(text: str, size: float, width: float) -> None:
    from refurb.labels.fonts import metrics

    lines = wrap(text, size, width, False)
    for line in lines:
        assert metrics(False).width(line) * size <= width + 1e-9 or len(line) == 1
    squeeze = "".join(text.replace(" · ", "").split())
    assert "".join("".join(lines).replace(" · ", "").split()) == squeeze
