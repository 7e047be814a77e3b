"""Acceptance checks of the CLI contract as volunteers, workshop leads and intake staff meet it.

Each test here comes from a walk through the whole tool: errors are one translated line (plus a
hint) with the right exit status, Dutch and French output has no English left in it, odd input
(blank, very long, non-ASCII) is handled the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
E480 = FIXTURES / "probe" / "thinkpad-e480"
PREFIX = {"en": "refurb: error: ", "nl": "refurb: fout: ", "fr": "refurb : erreur : "}
HINT = {"en": "hint: ", "nl": "tip: ", "fr": "conseil : "}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_server_url")


def _one_line_error(result, lang: str, status: int = 1) -> str:
    """The contract: exit status, one error line, at most one hint line, no traceback."""
    assert result.exit_code == status, result
    lines = result.stderr.strip("\n").splitlines()
    assert lines and lines[0].startswith(PREFIX[lang]), result
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith(HINT[lang])), result
    assert "Traceback" not in result.stderr
    return lines[0]


def _probed(run_cli, *extra: str) -> str:
    asset = run_cli("intake", "new", "--serial", "PF0QA1", *extra, "--json", expect=0).json
    run_cli("probe", "--save", asset["asset_id"], "--from", str(E480), expect=0)
    return asset["asset_id"]


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_store_errors_speak_the_chosen_language(run_cli, tmp_path, lang):
    english = _one_line_error(run_cli("--db", "mysql://x", "list"), "en")
    translated = _one_line_error(run_cli("--lang", lang, "--db", "mysql://x", "list"), lang)
    assert "unsupported database URL" in english
    assert "unsupported" not in translated and "'mysql://x'" in translated

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 300)
    line = _one_line_error(run_cli("--lang", lang, "--db", f"sqlite:///{junk}", "list"), lang)
    assert "usable refurb store" not in line and str(junk) in line
    assert junk.read_bytes() == b"this is not a database" * 300  # nothing written


def test_unreachable_server_is_exit_4_in_dutch(run_cli):
    url = "postgresql+psycopg://postgres@127.0.0.1:1/none"
    line = _one_line_error(run_cli("--lang", "nl", "--db", url, "list"), "nl", status=4)
    assert "kan de databank" in line


def test_tampered_log_is_reported_in_french_and_rebuild_warns(run_cli, initialized):
    asset = run_cli("intake", "new", "--serial", "T1", "--donor", "KBC", "--json", expect=0).json
    with sqlite3.connect(initialized / "refurb.db") as conn:
        conn.execute("UPDATE events SET payload = replace(payload, 'KBC', 'ACME')")
    checked = run_cli("--lang", "fr", "admin", "check")
    assert checked.exit_code == 1
    assert "son contenu a été modifié" in checked.stderr and "changed after" not in checked.stderr
    assert asset["asset_id"] in checked.stderr
    rebuilt = run_cli("admin", "rebuild", expect=0)
    assert "1 problem(s)" in rebuilt.stderr and "refurb admin check" in rebuilt.stderr
    as_json = run_cli("admin", "rebuild", "--json", expect=0).json
    assert as_json["chain_ok"] is False and len(as_json["problems"]) == 1
    run_cli("intake", "new", "--serial", "T2", expect=0)  # a clean log rebuilds without warning
    with sqlite3.connect(initialized / "refurb.db") as conn:
        conn.execute("UPDATE events SET payload = replace(payload, 'ACME', 'KBC')")
    assert run_cli("admin", "rebuild", expect=0).stderr == ""


@pytest.mark.parametrize(
    ("lang", "english"),
    [
        ("nl", ("pending", "serial PF0QA1", "donor ", "batch ", "registered")),
        ("fr", ("pending", "serial PF0QA1", "donor ", "batch ", "registered")),
    ],
)
def test_show_leaves_no_english_on_the_timeline_or_disks(run_cli, initialized, lang, english):
    asset = _probed(run_cli, "--donor", "KBC", "--batch", "B-1")
    shown = run_cli("--lang", lang, "show", asset, expect=0).stdout
    for word in english:
        assert word not in shown, (word, shown)
    assert "not erased" in run_cli("show", asset, expect=0).stdout
    refused = run_cli("--lang", lang, "status", asset, "ready")
    assert "pending" not in _one_line_error(refused, lang)


def test_french_timeline_puts_a_space_before_colons(run_cli, initialized):
    asset = _probed(run_cli, "--donor", "KBC")
    shown = run_cli("--lang", "fr", "show", asset, expect=0).stdout
    assert "enregistré : n° de série PF0QA1, donateur KBC" in shown
    assert "matériel analysé : ThinkPad E480" in shown


@pytest.mark.parametrize(
    ("lang", "one", "two"),
    [("en", "1 device\n", "2 devices\n"), ("nl", "1 toestel\n", "2 toestellen\n")],
)
def test_list_counts_in_singular_and_plural(run_cli, initialized, lang, one, two):
    run_cli("intake", "new", "--serial", "C1", expect=0)
    assert run_cli("--lang", lang, "list", expect=0).stderr == one
    run_cli("intake", "new", "--serial", "C2", expect=0)
    assert run_cli("--lang", lang, "list", expect=0).stderr == two


def test_blank_fields_are_no_value(run_cli, initialized):
    first = run_cli("intake", "new", "--serial", "  ", "--donor", "", "--json", expect=0).json
    second = run_cli("intake", "new", "--serial", "", "--json", expect=0).json
    device = run_cli("show", first["asset_id"], "--json", expect=0).json["device"]
    assert device["serial"] is None and device["donor"] is None
    assert second["asset_id"] != first["asset_id"]
    padded = run_cli("intake", "new", "--serial", " SN 9 ", "--json", expect=0).json
    assert (
        run_cli("show", padded["asset_id"], "--json", expect=0).json["device"]["serial"] == "SN 9"
    )
    dup = run_cli("intake", "new", "--serial", "SN 9")
    assert padded["asset_id"] in _one_line_error(dup, "en")


def test_too_long_values_are_refused_alike_on_each_backend(run_cli, db_url):
    run_cli("--db", db_url, "init", "--site", "Long", expect=0)
    refused = run_cli("--db", db_url, "--lang", "nl", "intake", "new", "--donor", "é" * 201)
    assert "201" in _one_line_error(refused, "nl") and "200" in refused.stderr
    assert run_cli("--db", db_url, "list", "--json", expect=0).json == []  # nothing written
    assert run_cli("--db", db_url, "admin", "check", "--json", expect=0).json["events"] == 0
    # the longest that fits, and long notes, are kept whole
    notes = "ü" * 5000
    made = run_cli(
        "--db", db_url, "intake", "new", "--donor", "é" * 200, "--notes", notes, "--json"
    ).json
    device = run_cli("--db", db_url, "show", made["asset_id"], "--json", expect=0).json
    assert device["device"]["notes"] == notes and device["device"]["donor"] == "é" * 200


def test_long_derived_values_shorten_the_row_but_not_the_event(run_cli, db_url):
    run_cli("--db", db_url, "init", "--site", "Long", expect=0)
    asset = run_cli("--db", db_url, "intake", "new", "--json", expect=0).json["asset_id"]
    image = "Linux Mint Cinnamon " + "x" * 300
    run_cli("--db", db_url, "os", "record", asset, "--image", image, "--version", "22.1", expect=0)
    shown = run_cli("--db", db_url, "show", asset, "--json", expect=0).json
    assert len(shown["device"]["os"]) == 200 and shown["device"]["os"].endswith("…")
    assert shown["events"][-1]["payload"]["image"] == image
    run_cli("--db", db_url, "admin", "rebuild", expect=0)
    again = run_cli("--db", db_url, "show", asset, "--json", expect=0).json
    assert again["device"] == shown["device"]


def test_non_ascii_names_go_through_every_output(run_cli, initialized, tmp_path):
    model = "ThinkPad É480 Ärger 🚀 نموذج"
    donor = "مؤسسة الخير 🎁 Zoë"
    asset = run_cli(
        "intake", "new", "--model", model, "--donor", donor, "--notes", "ü" * 3000, "--json"
    ).json["asset_id"]
    listed = run_cli("list", "--json", expect=0).json
    assert listed[0]["model"] == model and listed[0]["donor"] == donor
    shown = run_cli("--lang", "nl", "show", asset, expect=0)
    assert donor in shown.stdout
    for suffix in ("png", "svg", "pdf", "zpl"):
        out = tmp_path / f"label.{suffix}"
        run_cli("--lang", "nl", "label", asset, "--out", str(out), expect=0)
        assert out.stat().st_size > 0
    # The PDF font has no emoji: fpdf2 logs that in English to stderr. pytest captures logging
    # in-process, so this runs refurb as the volunteer does.
    out = tmp_path / "again.pdf"
    made = subprocess.run(
        [sys.executable, "-m", "refurb", "--lang", "nl", "label", asset, "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert made.returncode == 0 and out.stat().st_size > 0, made.stderr
    assert made.stderr.strip() == "1 label(s) geschreven met sjabloon brother-62x29.", made.stderr


@pytest.mark.parametrize("lang", ["en", "nl", "fr"])
@pytest.mark.parametrize(
    "args",
    [
        ("show", "RF-3T860-M000R"),
        ("show", ""),
        ("show", "XYZ"),
        ("status", "{asset}", "flying"),
        ("status", "{asset}", "on_loan"),
        ("status", "{asset}", "ready"),
        ("list", "--status", "bogus"),
        ("intake", "new", "--serial", "PF0QA1"),
        ("grade", "{asset}", "--cosmetic", "Z"),
        ("grade", "{asset}", "--profile", "nope"),
        ("label", "{asset}", "--template", "nope"),
        ("label", "{asset}", "--out", "/nonexistent/folder/x.png"),
        ("os", "record", "{asset}", "--image", "", "--version", "1"),
        ("os", "record", "{asset}", "--image", "X", "--version", "1", "--iso", "/nope.iso"),
        ("--db", "sqlite:///{home}", "list"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(run_cli, initialized, lang, args):
    asset = _probed(run_cli)
    before = run_cli("admin", "check", "--json", expect=0).json["events"]
    argv = [a.format(asset=asset, home=initialized) for a in args]
    _one_line_error(run_cli("--lang", lang, *argv), lang)
    assert run_cli("admin", "check", "--json", expect=0).json["events"] == before


def _command_paths() -> list[list[str]]:
    from typer.main import get_command

    from refurb.cli import app

    def walk(cmd, path):
        yield path
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            yield from walk(sub, [*path, name])

    return list(walk(get_command(app), []))


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "refurb")
def test_every_help_has_an_example(run_cli, path):
    shown = run_cli(*path, "--help", expect=0).stdout
    assert re.search(r"Examples?:\s+(sudo )?refurb ", shown), shown


def test_french_grade_output_spaces_its_colons(run_cli, initialized):
    asset = _probed(run_cli)
    graded = run_cli("--lang", "fr", "grade", asset, "--cosmetic", "A", expect=0).stdout
    assert "Linux Mint 22 : " in graded and "Linux Mint 22: " not in graded
    assert "Windows 11 : " in graded


def _in_pty(args: list[str], keys: bytes, home: Path) -> tuple[int, str]:
    """Run refurb in a real pseudo-terminal, type ``keys`` at its question; (status, output)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.environ.update({"PYTHONPATH": str(ROOT), "REFURB_HOME": str(home)})
        os.execvp(sys.executable, [sys.executable, "-m", "refurb", *args])
    out = b""
    deadline = time.monotonic() + 30
    sent = False
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not sent and out.rstrip().endswith(b"]:"):  # the question waits for its answer
            time.sleep(0.3)
            os.write(fd, keys)
            sent = True
    _pid, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


@pytest.mark.parametrize(
    ("key", "status", "said"),
    [(b"\x03", 130, "refurb: onderbroken"), (b"\x04", 1, "refurb: fout: geen antwoord")],
)
def test_ctrl_c_or_end_of_input_at_a_yes_no_question(run_cli, initialized, key, status, said):
    folder = str(FIXTURES / "probe" / "vm-no-dmi")
    code, out = _in_pty(["--lang", "nl", "probe", "--save", "--from", folder], key, initialized)
    assert code == status, out
    assert said in out and "Aborted" not in out and "Traceback" not in out
    assert run_cli("admin", "check", "--json", expect=0).json["events"] == 0


@pytest.mark.parametrize("text", ["lang = 5\n", "lang = ['nl']\n", 'lang = "de"\n'])
def test_a_hand_edited_language_setting_falls_back_to_english(run_cli, refurb_home, text):
    refurb_home.mkdir(parents=True, exist_ok=True)
    (refurb_home / "config.toml").write_text(text)
    listed = run_cli("list", expect=0)
    assert listed.stderr == "No devices match.\n"


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_shipped_profile_and_template_descriptions_are_translated(run_cli, lang):
    import tomllib

    from refurb import i18n

    data = ROOT / "refurb" / "data"
    profiles = tomllib.loads((data / "profiles.toml").read_text())
    templates = tomllib.loads((data / "label_templates.toml").read_text())

    def descriptions(tree):
        if isinstance(tree, dict):
            for key, value in tree.items():
                if key == "description" and isinstance(value, str):
                    yield value
                else:
                    yield from descriptions(value)
        elif isinstance(tree, list):
            for item in tree:
                yield from descriptions(item)

    shipped = [*descriptions(profiles), *descriptions(templates)]
    assert len(shipped) >= 13
    catalogue = i18n.load(lang)
    untranslated = [d for d in shipped if catalogue.gettext(d) == d]
    assert not untranslated
    shown = run_cli("--lang", lang, "grade", "profiles", expect=0).stdout
    shown += run_cli("--lang", lang, "labels", "templates", expect=0).stdout
    assert "Pupils" not in shown and "die-cut" not in shown and "endless" not in shown


def test_a_terminal_that_cannot_show_a_name_gets_question_marks_not_a_crash(run_cli, initialized):
    model = "ThinkPad É480 🚀 نموذج"
    asset = run_cli("intake", "new", "--model", model, "--json", expect=0).json["asset_id"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "latin-1"}

    def refurb(*args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "refurb", *args]
        return subprocess.run(argv, capture_output=True, env=env, check=False)

    shown = refurb("show", asset)
    assert shown.returncode == 0, shown.stderr
    assert "ThinkPad É480 ? ?????".encode("latin-1") in shown.stdout
    listed = refurb("list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["model"] == model


@pytest.mark.parametrize(
    "typed",
    [
        "{a}",
        "{a_lower}",
        "{body}",
        "RF–{p1}–{p2}",
        "RF—{p1}—{p2}",
        "{p1}\t{p2}",
        "RF‑{p1}\u00a0{p2}",
    ],
)
def test_ids_copied_with_other_dashes_or_blanks_are_found(run_cli, initialized, typed):
    asset = run_cli("intake", "new", "--json", expect=0).json["asset_id"]
    _rf, p1, p2 = asset.split("-")
    text = typed.format(a=asset, a_lower=asset.lower(), body=p1 + p2, p1=p1, p2=p2)
    assert run_cli("show", text, "--json", expect=0).json["device"]["asset_id"] == asset


def test_a_pasted_paragraph_is_not_echoed_back_whole(run_cli, initialized):
    line = _one_line_error(run_cli("show", "A" * 10_000), "en")
    assert len(line) < 200 and "10000 characters" in line


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_help_text_has_a_translation(lang):
    """--help is what a volunteer reads first; help.po holds every command's and option's text."""
    from typer.main import get_command

    from refurb import i18n
    from refurb.cli import app

    catalogue = i18n.load(lang)
    missing = []

    def walk(cmd, path):
        texts = [cmd.help] + [getattr(p, "help", None) for p in cmd.params]
        untranslated = [t for t in texts if t and catalogue.gettext(t) == t]
        missing.extend(f"{path or 'refurb'}: {t!r}" for t in untranslated)
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(get_command(app), "")
    assert not missing, f"{len(missing)} help texts lack a {lang} translation in help.po:\n" + (
        "\n".join(missing)
    )


@pytest.mark.parametrize(
    ("args", "english", "translated"),
    [
        (("--lang", "nl", "intake", "new", "--help"), "Serial number on", "Serienummer"),
        (("--lang", "fr", "grade", "profiles", "--help"), "List the grading", "Lister les profils"),
        (("--lang", "nl", "status", "--help"), "Move a device", "Zet een toestel"),
    ],
)
def test_help_speaks_the_chosen_language(run_cli, args, english, translated):
    shown = run_cli(*args, expect=0).stdout
    assert translated in shown and english not in shown
    assert english in run_cli(*args[2:], expect=0).stdout  # English stays English


def test_root_help_follows_the_language_variable(run_cli, monkeypatch):
    monkeypatch.setenv("REFURB_LANG", "fr")
    shown = run_cli("--help", expect=0).stdout
    assert "Remettez à neuf" in shown and "Créer les données locales" in shown
