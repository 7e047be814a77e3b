"""Label test helpers: an independent QR decoder, PDF/SVG rasterising, devices in a store."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support_events import erased_record

from refurb.labels.data import LabelData

LONG_URL = "https://voorraad.repaircafe-gent.example.org/toestel/{asset}"

SAMPLE = LabelData(
    asset_id="RF-7K3QM-X4T2A",
    model="Lenovo ThinkPad T460",
    cpu="Core i5-6300U",
    ram="8 GB",
    disk="256 GB SSD",
    grade="B",
    erased="Erased 2026-03-02 (prng)",
)

# Model names that have broken label layouts elsewhere: long, unbroken, accented, wide glyphs.
HARD_MODELS = [
    "Hewlett-Packard HP EliteBook x360 1030 G2 Notebook PC with Sure View Privacy Screen",
    "ASUS ZenBookProDuoUX581GVXB74TSuperLongUnbrokenModelNameWithoutAnySpaces",
    "Fujitsu Siemens LIFEBOOK É752 — édition spéciale Ærø ÅÄÖ WWWWWWWWWWWWWWWW",
    "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM",
]


def decode_all(image: Any) -> list[str]:
    """Every QR code zxing-cpp finds in a Pillow image (an independent decoder from qrcode's)."""
    import zxingcpp

    results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in results]


def decode_one(image: Any) -> str:
    found = decode_all(image)
    assert len(found) == 1, f"expected one QR code, found {found!r}"
    return found[0]


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is needed for this test (Debian package {package})")
    return path


def pdf_pages(pdf: Path, dpi: int = 200) -> list[Any]:
    """The PDF's pages as Pillow images, rasterised by poppler's pdftoppm (not by refurb)."""
    from PIL import Image

    require_tool("pdftoppm", "poppler-utils")
    prefix = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
    )
    pages = sorted(pdf.parent.glob(prefix.name + "-*.png"))
    return [Image.open(p).convert("L") for p in pages]


def svg_image(svg: Path, dpi: int = 300) -> Any:
    """The SVG rasterised by librsvg's rsvg-convert (not by refurb)."""
    from PIL import Image

    require_tool("rsvg-convert", "librsvg2-bin")
    png = svg.with_suffix(".rsvg.png")
    subprocess.run(
        ["rsvg-convert", "-d", str(dpi), "-p", str(dpi), "-b", "white", "-o", str(png), str(svg)],
        check=True,
        capture_output=True,
    )
    return Image.open(png).convert("L")


def dark_box(image: Any, threshold: int = 160) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of the pixels darker than ``threshold``."""
    mask = image.convert("L").point(lambda v: 255 if v < threshold else 0)
    return mask.getbbox()


def add_device(run_cli: Any, **fields: str) -> str:
    """Register a device through the CLI; returns its asset id."""
    args = ["intake", "new", "--json"]
    for key, value in fields.items():
        args += [f"--{key}", value]
    return run_cli(*args, expect=0).json["asset_id"]


def enrich(asset: str, *, cpu: str, ram: int, disk: int, grade: str, erased: bool = True) -> None:
    """Give a device a probe, an erasure and a grade through the store's event API."""
    from refurb.env import Env
    from refurb.store import open_store

    probe = {
        "system": {"manufacturer": "LENOVO", "model": "ThinkPad T460", "serial": None},
        "cpu": {"model": cpu},
        "memory": {"installed_bytes": ram},
        "disks": [
            {
                "name": "sda",
                "model": "SAMSUNG MZ7LN256",
                "serial": f"S3{asset[-5:]}",
                "size_bytes": disk,
                "protocol": "ATA",
                "rotational": False,
            }
        ],
    }
    with open_store(Env()) as store:
        store.append(asset, "probe", {"probe": probe})
        if erased:
            store.append(
                asset,
                "wipe",
                {
                    "wipe_id": "w1",
                    "disk": probe["disks"][0],
                    "status": "erased",
                    "record": erased_record(disk, end="2026-03-02T10:11:12+00:00"),
                },
            )
        store.append(asset, "grade", {"grade": grade, "profile": "school", "reasons": []})


def label_events(asset: str) -> list[dict[str, Any]]:
    from refurb.env import Env
    from refurb.store import open_store

    with open_store(Env()) as store:
        return [e.payload.data() for e in store.events(asset) if e.kind == "label"]
