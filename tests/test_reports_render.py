"""The HTML report in a real headless Chromium (no console errors, no network, a screenshot) and
the PDF report turned into PNG pages with pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.support_chromium import chromium, visit
from tests.support_reports import build_store

needs_chromium = pytest.mark.skipif(
    chromium() is None,
    reason="needs a Chromium that runs (Debian: apt-get install -y chromium; "
    "Ubuntu's chromium package is a stub for the snap)",
)


@pytest.fixture
def store_home(initialized: Path) -> tuple[Path, dict]:
    return initialized, build_store(initialized)


def _not_blank(png: Path) -> float:
    """The share of pixels that are not white: a page with charts and text has plenty."""
    img = Image.open(png).convert("L")
    hist = img.histogram()
    return 1 - sum(hist[245:]) / (img.width * img.height)


@needs_chromium
def test_html_report_in_headless_chromium(run_cli, store_home, tmp_path):
    out = tmp_path / "stock.html"
    run_cli("stock", "--out", str(out), expect=0)
    html = out.read_text(encoding="utf-8")
    assert (
        "<svg" in html
        and "<script" not in html
        and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    page = visit(out.as_uri())
    assert page.console == []
    assert page.requests == [out.as_uri()]  # the file itself and nothing else
    assert page.title.startswith("Stock report")
    shot = tmp_path / "stock.png"
    shot.write_bytes(page.screenshot)
    assert _not_blank(shot) > 0.05
    kept = Path(__file__).parent / ".." / "build"
    if kept.is_dir():  # a place to look at the last screenshot by hand
        shutil.copy(shot, kept / "stock-report.png")


@needs_chromium
def test_the_checker_sees_errors_and_requests(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        "</head><body><script>console.error('boom')</script></body></html>"
    )
    page = visit(bad.as_uri())
    assert "http://127.0.0.1:9/x.css" in page.requests
    assert any("boom" in line for line in page.console)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")
@pytest.mark.parametrize("lang", ["en", "nl", "fr"])
def test_pdf_report_pages(run_cli, store_home, tmp_path, lang):
    out = tmp_path / "stock.pdf"
    run_cli("--lang", lang, "stock", "--out", str(out), expect=0)
    assert out.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 1 <= len(pages) <= 4
    assert _not_blank(pages[0]) > 0.04
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Restart Project" in text and "Repair Café Gent" in text
    assert "398" in text  # kg CO2e avoided, 3 laptops x 265.32 x 0.5
