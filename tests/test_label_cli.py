"""`refurb label` and `refurb labels templates` through the CLI, with a real store."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from PIL import Image
from support_labels import (
    add_device,
    decode_one,
    enrich,
    label_events,
    pdf_pages,
)

from refurb.env import Env
from refurb.runner import ReplayRunner


def _set_config(home: Path, **values: str) -> None:
    from refurb.config import load_config, save_config

    path = home / "config.toml"
    data = load_config(path)
    data.update(values)
    save_config(path, data)


@pytest.fixture
def device(initialized: Path, run_cli) -> str:
    asset = add_device(run_cli, serial="PF0ABC12", manufacturer="LENOVO", model="ThinkPad T460")
    enrich(
        asset,
        cpu="Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz",
        ram=8 * 2**30,
        disk=256 * 10**9,
        grade="B",
    )
    return asset


def test_png_label_scans_and_is_recorded(device: str, run_cli, tmp_path: Path) -> None:
    out = tmp_path / "one.png"
    result = run_cli("label", device, "--out", str(out), "--json", expect=0)
    assert result.json["files"] == [str(out)]
    assert decode_one(Image.open(out)) == device
    assert label_events(device) == [
        {"template": "brother-62x29", "output": str(out), "printer": None}
    ]


def test_label_url_from_the_config_goes_in_the_code(
    device: str, run_cli, initialized: Path, tmp_path: Path
) -> None:
    _set_config(initialized, label_url="https://stock.example.org/d/{asset}")
    out = tmp_path / "url.png"
    run_cli("label", device, "-o", str(out), expect=0)
    assert decode_one(Image.open(out)) == f"https://stock.example.org/d/{device}"


def test_label_url_without_asset_is_refused(
    device: str, run_cli, initialized: Path, tmp_path: Path
) -> None:
    _set_config(initialized, label_url="https://stock.example.org/devices")
    result = run_cli("label", device, "-o", str(tmp_path / "x.png"), expect=1)
    assert "{asset}" in result.stderr
    assert not (tmp_path / "x.png").exists()
    assert label_events(device) == []


def test_unknown_template_exit_1(device: str, run_cli, tmp_path: Path) -> None:
    result = run_cli(
        "label", device, "-t", "brother-62x30", "-o", str(tmp_path / "x.png"), expect=1
    )
    assert "unknown label template 'brother-62x30'" in result.stderr
    assert "brother-62x29" in result.stderr  # the near match is suggested
    assert label_events(device) == []


def test_missing_assets_are_all_listed_and_nothing_is_made(
    device: str, run_cli, tmp_path: Path
) -> None:
    out = tmp_path / "x.pdf"
    result = run_cli("label", device, "RF-00000-00000", "RF-ZZZZZ-ZZZZZ", "-o", str(out), expect=1)
    assert "RF-00000-00000" in result.stderr and "RF-ZZZZZ-ZZZZZ" in result.stderr
    assert not out.exists()
    assert label_events(device) == []


def test_batch_fills_a_sheet_in_order(initialized: Path, run_cli, tmp_path: Path) -> None:
    batch = [add_device(run_cli, serial=f"B17-{n}", batch="B-17") for n in range(3)]
    other = add_device(run_cli, serial="OTHER", batch="B-18")
    out = tmp_path / "b17.pdf"
    result = run_cli(
        "label",
        "--batch",
        "B-17",
        "-t",
        "avery-l7163",
        "--skip",
        "1",
        "-o",
        str(out),
        "--json",
        expect=0,
    )
    assert [item["asset_id"] for item in result.json["labels"]] == batch
    (page,) = pdf_pages(out, dpi=150)
    from refurb.labels import get_template

    template = get_template("avery-l7163")
    px = 150 / 25.4
    codes = []
    for x, y in template.cells()[:5]:
        cell = page.crop(
            (
                round(x * px),
                round(y * px),
                round((x + template.width_mm) * px),
                round((y + template.height_mm) * px),
            )
        )
        from support_labels import decode_all

        codes.append(decode_all(cell))
    assert codes == [[], [batch[0]], [batch[1]], [batch[2]], []]
    assert all(len(label_events(a)) == 1 for a in batch)
    assert label_events(other) == []


def test_unknown_batch_exit_1(initialized: Path, run_cli) -> None:
    result = run_cli("label", "--batch", "NOPE", expect=1)
    assert "NOPE" in result.stderr


def test_brother_raster_file_has_the_printer_width_and_scans(
    device: str, run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brother_ql.reader import BrotherQLReader

    for name in ("brother-62x29", "brother-29x90"):
        raster = tmp_path / f"{name}.bin"
        run_cli("label", device, "-t", name, "--print", f"file:{raster}", expect=0)
        assert raster.stat().st_size > 1000
        monkeypatch.chdir(tmp_path)
        reader = BrotherQLReader(str(raster))
        reader.filename_fmt = f"{name}-page{{counter}}.png"
        reader.analyse()
        image = Image.open(tmp_path / f"{name}-page1.png")
        # QL-700 rasters are 720 dots (90 bytes) a line, whatever the tape
        assert image.size[0] == 720
        assert all(len(row) == 90 for row in reader.black_rows)
        assert decode_one(image.convert("L")) == device
    events = label_events(device)
    assert [e["printer"] for e in events] == [
        f"file:{tmp_path / 'brother-62x29.bin'}",
        f"file:{tmp_path / 'brother-29x90.bin'}",
    ]
    assert all(e["output"] is None for e in events)


def test_usb_brother_that_is_not_there_records_nothing(device: str, run_cli) -> None:
    result = run_cli("label", device, "--print", "usb://0x04f9:0x2042", expect=1)
    assert "usb://0x04f9:0x2042" in result.stderr and "not there" in result.stderr
    assert label_events(device) == []


def _lp_runner(rc: int, out: str, err: str, seen: list) -> Env:
    def answer(argv: tuple[str, ...]):
        if argv[0] != "lp":
            return None
        seen.append((argv, Path(argv[-1]).read_bytes()[:5]))
        return rc, out, err

    return Env(runner=ReplayRunner(fallback=answer))


def test_cups_printer_that_is_not_there_records_nothing(device: str, run_cli) -> None:
    seen: list = []
    env = _lp_runner(1, "", "lp: The printer or class does not exist.\n", seen)
    result = run_cli("label", device, "-t", "dymo-30252", "--print", "Dymo", env=env, expect=1)
    assert "CUPS printer Dymo: lp: The printer or class does not exist." in result.stderr
    assert label_events(device) == []
    assert env.runner.history[-1].argv[:3] == ("lp", "-d", "Dymo")


def test_cups_print_sends_a_pdf_with_the_media(device: str, run_cli) -> None:
    seen: list = []
    env = _lp_runner(0, "request id is Dymo-12 (1 file(s))\n", "", seen)
    run_cli("label", device, "-t", "dymo-30252", "--print", "Dymo", env=env, expect=0)
    ((argv, head),) = seen
    assert argv[:3] == ("lp", "-d", "Dymo")
    assert "media=w79h252" in argv and head == b"%PDF-"
    assert label_events(device) == [{"template": "dymo-30252", "output": None, "printer": "Dymo"}]


def test_zebra_over_tcp_gets_the_zpl(device: str, run_cli) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received = bytearray()

    def serve() -> None:
        conn, _addr = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    run_cli("label", device, "-t", "zebra-2x1", "--print", f"tcp://127.0.0.1:{port}", expect=0)
    thread.join(5)
    server.close()
    text = received.decode("ascii")
    assert text.startswith("^XA") and text.rstrip().endswith("^XZ") and "^GFA," in text
    assert label_events(device)[0]["printer"] == f"tcp://127.0.0.1:{port}"


def test_zebra_that_is_not_there_records_nothing(device: str, run_cli) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(
        "label", device, "-t", "zebra-2x1", "--print", f"tcp://127.0.0.1:{port}", expect=1
    )
    assert "not there" in result.stderr
    assert label_events(device) == []


def test_zpl_to_stdout(device: str, run_cli) -> None:
    result = run_cli("label", device, "-t", "zebra-2x1", "--out", "-", expect=0)
    assert result.stdout.startswith("^XA") and "^PW406" in result.stdout


def test_skip_on_a_roll_is_refused(device: str, run_cli, tmp_path: Path) -> None:
    result = run_cli("label", device, "--skip", "2", "-o", str(tmp_path / "x.png"), expect=1)
    assert "--skip" in result.stderr


def test_templates_list_shows_the_site_ones(initialized: Path, run_cli) -> None:
    (initialized / "label_templates.toml").write_text(
        '[shelf-50x25]\ndescription = "Shelf labels"\nsize_mm = [50, 25]\nmargin_mm = 1.5\n'
    )
    names = {t["name"]: t for t in run_cli("labels", "templates", "--json", expect=0).json}
    assert {
        "brother-62",
        "brother-62x29",
        "brother-29",
        "brother-29x90",
        "dymo-30252",
        "zebra-2x1",
        "avery-l7163",
        "avery-l7160",
        "a4-3x8",
        "shelf-50x25",
    } <= set(names)
    assert names["avery-l7163"]["per_page"] == 14
    assert names["shelf-50x25"]["source"].endswith("label_templates.toml")
    plain = run_cli("label", "templates", expect=0).stdout  # the spelling in the design notes
    assert "shelf-50x25" in plain and "avery-l7160" in plain


def test_a_broken_site_template_names_file_and_field(initialized: Path, run_cli) -> None:
    (initialized / "label_templates.toml").write_text("[bad]\nsize_mm = [50]\n")
    result = run_cli("labels", "templates", expect=1)
    assert "label_templates.toml [bad]: size_mm" in result.stderr


def test_label_help_has_an_example(run_cli) -> None:
    assert "Example: refurb label" in run_cli("label", "--help", expect=0).stdout
    assert (
        "Example: refurb labels templates"
        in run_cli("labels", "templates", "--help", expect=0).stdout
    )
