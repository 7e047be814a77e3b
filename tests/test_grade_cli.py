"""`refurb grade` through the CLI: answers as options or keys, refusals that record nothing."""

from __future__ import annotations

import pytest
from support_grade import battery, events, fixture_probe, seed_device

from refurb.env import Env

T480 = "lenovo-thinkpad-t480-20l6s01w00-f4ace26af601.txt"
KINGSTON_120 = "smartctl_exporter-sat-Phison_Driven_SSDs-KINGSTON_SA400M8120G-sda.json"
FHD = "auo21ed-0db4f440fc11.txt"
CHECKS = ("screen", "keyboard", "touchpad", "webcam", "wifi", "audio", "usb", "hinges", "case")


@pytest.fixture
def t480(initialized):
    probe = fixture_probe(T480, [KINGSTON_120], edid=FHD, batteries=[battery(85)])
    return seed_device(probe, serial="T480-1")


def all_ok(**changes: str) -> list[str]:
    args = []
    for check in CHECKS:
        args += ["--check", f"{check}={changes.get(check, 'ok')}"]
    return args


def test_grade_with_options_records_the_event(run_cli, t480):
    result = run_cli("grade", t480, "--cosmetic", "a", *all_ok(hinges="w"), "--json", expect=0)
    data = result.json
    assert data["grade"] == "B"
    assert data["profiles"] == ["school", "job-seeker", "basic"]
    assert data["reasons"] == ["120 GB storage (240 GB for A)", "hinges: worn"]
    assert data["answers"]["hinges"] == "worn" and data["answers"]["cosmetic"] == "A"
    assert set(data) >= {"grade", "profile", "profiles", "reasons", "answers", "windows11", "linux"}
    recorded = events(t480, "grade")
    assert len(recorded) == 1
    payload = recorded[0]["payload"]
    assert payload["grade"] == "B" and payload["profile"] == "basic"
    assert payload["reasons"] == data["reasons"] and recorded[0]["actor"] == "tester"
    shown = run_cli("show", t480, "--json", expect=0).json
    assert shown["device"]["grade"] == "B"
    assert not any("grade" in m for m in shown["missing_for_ready"])


def test_human_output(run_cli, t480):
    out = run_cli("grade", t480, "--cosmetic", "B", *all_ok(), "--profile", "school").stdout
    assert "grade B (profile school)" in out
    assert "Fits: school, job-seeker, basic" in out
    assert "120 GB storage (240 GB for A)" in out
    assert "Windows 11:" in out and "Linux Mint 22: ready" in out


def test_unanswered_checks_without_a_terminal_cap_the_grade(run_cli, t480):
    data = run_cli("grade", t480, "--check", "keyboard=ok", "--json", expect=0).json
    assert data["grade"] == "C"
    assert data["answers"]["screen"] == "not_checked"
    assert data["answers"]["cosmetic"] == "not_checked"
    assert "not checked: cosmetic condition, hinges, case" in data["reasons"]
    assert data["profiles"] == ["parts"]


def test_one_key_answers_at_a_terminal(run_cli, t480):
    env = Env(stdin_isatty=True)
    # screen keyboard touchpad webcam wifi audio usb hinges case, then the cosmetic grade;
    # "x" and "?" are not answers and are asked again.
    result = run_cli("grade", t480, "--check", "usb=ok", "--json", input="oxw?fmnooob", env=env)
    assert result.exit_code == 0, result
    answers = events(t480, "grade")[0]["payload"]["answers"]
    assert answers == {
        "screen": "ok", "keyboard": "worn", "touchpad": "faulty", "webcam": "missing",
        "wifi": "not_checked", "audio": "ok", "usb": "ok", "hinges": "ok", "case": "ok",
        "cosmetic": "B",
    }  # fmt: skip
    assert result.json["grade"] == "C"
    assert "touchpad: faulty" in result.json["reasons"]


def test_input_ending_early_records_nothing(run_cli, t480):
    env = Env(stdin_isatty=True)
    result = run_cli("grade", t480, input="oo", env=env)
    assert result.exit_code == 1
    assert "nothing recorded" in result.stderr
    assert events(t480, "grade") == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--profile", "schol"], ["unknown profile 'schol'", "school, job-seeker, basic, parts"]),
        (["--check", "keyboard=great"], ["keyboard='great' is out of range", "ok, worn, faulty"]),
        (["--check", "joystick=ok"], ["unknown check 'joystick'", "keyboard"]),
        (["--check", "keyboard"], ["write CHECK=ANSWER"]),
        (["--cosmetic", "E"], ["cosmetic condition 'E' is out of range", "A, B, C or D"]),
    ],
    ids=["profile", "answer", "check", "syntax", "cosmetic"],
)
def test_bad_input_is_refused_and_nothing_recorded(run_cli, t480, args, words):
    result = run_cli("grade", t480, *args, expect=1)
    for word in words:
        assert word in result.stderr, result
    assert "Traceback" not in result.stderr
    assert events(t480, "grade") == []


def test_no_probe_no_grade(run_cli, initialized):
    asset = seed_device(None)
    result = run_cli("grade", asset, "--cosmetic", "A", expect=1)
    assert "has no probe yet" in result.stderr
    assert f"refurb probe --save {asset}" in result.stderr
    assert events(asset, "grade") == []


def test_unknown_asset(run_cli, initialized):
    result = run_cli("grade", "RF-00000-00000", expect=1)
    assert "RF-00000-00000" in result.stderr


def test_regrade_uses_the_latest_probe(run_cli, t480):
    from refurb.env import Env as _Env
    from refurb.store import open_store

    run_cli("grade", t480, "--cosmetic", "A", *all_ok(), expect=0)
    worse = fixture_probe(T480, [KINGSTON_120], edid=FHD, batteries=[battery(30)])
    with open_store(_Env()) as store:
        store.append(t480, "probe", {"probe": worse})
    data = run_cli("grade", t480, "--cosmetic", "A", *all_ok(), "--json", expect=0).json
    assert data["grade"] == "D"
    assert [e["payload"]["grade"] for e in events(t480, "grade")] == ["B", "D"]


def test_reasons_in_dutch_and_french(run_cli, t480):
    nl = run_cli("--lang", "nl", "grade", t480, "--cosmetic", "A", *all_ok(), "--json").json
    assert nl["reasons"] == ["120 GB opslag (240 GB voor A)"]
    fr = run_cli("--lang", "fr", "grade", t480, "--check", "keyboard=ok", "--json").json
    assert any(r.startswith("non vérifié") for r in fr["reasons"])


def test_help_has_an_example(run_cli):
    for args in (["grade", "--help"], ["grade", "profiles", "--help"], ["grade", "X", "--help"]):
        out = run_cli(*args, expect=0).stdout
        assert "Example: refurb grade" in out, args


def test_ctrl_c_while_asking_records_nothing(run_cli, t480):
    env = Env(stdin_isatty=True)
    result = run_cli("grade", t480, input="ow\x03", env=env)
    assert result.exit_code == 130, result
    assert events(t480, "grade") == []


def run_in_terminal(home, asset: str, keys: bytes) -> tuple[int, str]:
    """`refurb grade ASSET` in a pseudo-terminal that is its controlling terminal, as at a bench."""
    import os
    import pty
    import select
    import sys
    import time
    from pathlib import Path

    env = dict(os.environ, REFURB_HOME=str(home), COLUMNS="100")
    argv = [sys.executable, "-m", "refurb", "grade", asset]
    root = str(Path(__file__).resolve().parents[1])
    pid, master = pty.fork()
    if pid == 0:  # the child: becomes refurb
        os.chdir(root)
        os.execve(sys.executable, argv, env)
    output, sent = b"", False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    output += os.read(master, 4096)
                except OSError:  # the child is gone and closed the terminal
                    break
            if not sent and b"screen?" in output:
                os.write(master, keys)
                sent = True
    finally:
        os.close(master)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_answers_typed_at_a_real_terminal(t480, refurb_home):
    """Keys pasted in one go are taken one by one, in order, none echoed or lost."""
    code, output = run_in_terminal(refurb_home, t480, b"owfmnooooc")
    assert code == 0, output
    answers = events(t480, "grade")[0]["payload"]["answers"]
    assert [answers[c] for c in CHECKS] == [
        "ok", "worn", "faulty", "missing", "not_checked", "ok", "ok", "ok", "ok"
    ]  # fmt: skip
    assert answers["cosmetic"] == "C"
    assert "owf" not in output  # the keys were not echoed


def test_ctrl_c_at_a_real_terminal(t480, refurb_home):
    code, output = run_in_terminal(refurb_home, t480, b"ow\x03")
    assert code == 130, output
    assert "interrupted" in output
    assert events(t480, "grade") == []


def test_site_check_and_other_spellings(run_cli, t480, refurb_home):
    from support_grade import write_site_profiles

    write_site_profiles(
        refurb_home,
        '[checks.power_jack]\narea = "function"\nlabel = "power jack"\nfaulty = "D"\n',
    )
    args = ["--cosmetic", "A", *all_ok(), "--check", "power_jack=faulty", "--check", "Wi-Fi=w"]
    data = run_cli("grade", t480, *args, "--json", expect=0).json
    assert data["answers"]["power_jack"] == "faulty" and data["answers"]["wifi"] == "worn"
    assert data["grade"] == "D"
    assert data["reasons"][0] == "power jack: faulty"


def test_site_grade_letters_in_lower_case(run_cli, initialized, refurb_home):
    """`hdd = "b"` passes validation as B, so grading must treat it as B (it used to crash)."""
    from support_grade import write_site_profiles

    hdd = "smartctl_exporter-ST3200820AS_15.json"
    probe = fixture_probe(T480, [hdd], edid=FHD, batteries=[])
    for disk in probe["disks"]:
        disk["rotational"] = True
    asset = seed_device(probe, "HDD-1")
    write_site_profiles(
        refurb_home, '[grades]\nhdd = "c"\n[profile.basic.grades]\nno_battery = "b"\n'
    )
    data = run_cli("grade", asset, "--cosmetic", "a", *all_ok(), "--json", expect=0).json
    assert data["grade"] == "D"  # the old disk's hours; the letters below are the point
    found = {f["code"]: f["grade"] for f in data["findings"]}
    assert found["hdd"] == "C" and found["no_battery"] == "B", found
