"""hdparm -I and nvme id-ctrl / sanitize-log parsers on real captures, and on garbage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support_certs import answer_key, fixture_text, sanitize_log

from refurb.parsers import hdparm, nvme


@pytest.mark.parametrize("case", answer_key("hdparm"), ids=lambda c: c["file"])
def test_hdparm_captures_match_answer_key(case):
    info = hdparm.parse(fixture_text("hdparm", case["file"]))
    sec = info["security"]
    assert info["identified"] and sec["present"]
    assert info["model"] == case["model"]
    assert info["serial"] == case["serial"]
    assert info["size_bytes"] == case["size_bytes"]
    assert info["rotational"] is case["rotational"]
    for key in ("supported", "enabled", "locked", "frozen", "enhanced_erase"):
        assert sec[key] is case[key], key
    assert sec["erase_minutes"] == case["erase_minutes"]
    assert sec["enhanced_erase_minutes"] == case["enhanced_erase_minutes"]
    assert info["warnings"] == []


def test_hdparm_spaces_instead_of_tabs_and_more_than_minutes():
    text = fixture_text("hdparm", "ipa-7pin-sata-fdm-frozen.txt").replace("\t", "    ")
    text = text.replace("24min for SECURITY", "more than 508min for SECURITY")
    sec = hdparm.parse(text)["security"]
    assert sec["frozen"] is True and sec["locked"] is False and sec["supported"] is True
    assert sec["erase_minutes"] == 508 and sec["erase_minutes_more_than"] is True


def test_hdparm_usb_bridge_error_output_is_not_identified():
    # What hdparm prints (on stderr, stdout just the device) behind a bridge without SAT.
    info = hdparm.parse("\n/dev/sdb:\n")
    assert info["identified"] is False and info["warnings"]


@pytest.mark.parametrize("case", answer_key("nvme"), ids=lambda c: c["file"])
def test_nvme_captures_match_answer_key(case):
    info = nvme.parse(fixture_text("nvme", case["file"]))
    assert info["identified"]
    assert info["model"] == case["model"] and info["serial"] == case["serial"]
    assert info["sanitize"] == {
        "crypto_erase": case["sanitize_crypto"],
        "block_erase": case["sanitize_block"],
        "overwrite": case["sanitize_overwrite"],
    }
    assert info["format_supported"] is case["format_supported"]
    assert info["format_crypto_erase"] is case["format_crypto_erase"]
    assert info["namespaces"] == case["namespaces"]
    assert info["capacity_bytes"] == case["capacity_bytes"]


@pytest.mark.parametrize(
    ("status", "sprog", "progress", "completed", "in_progress", "failed"),
    [
        (2, 32768, 0.5, False, True, False),
        (1, 65535, 1.0, True, False, False),
        (4, 65535, 1.0, True, False, False),
        (3, 100, 0.0015, False, False, True),
        (0, 65535, 1.0, False, False, False),
    ],
)
def test_sanitize_log(status, sprog, progress, completed, in_progress, failed):
    state = nvme.parse_sanitize_log(sanitize_log(status, sprog))
    assert state["valid"] and state["status"] == status
    assert state["progress"] == progress
    assert (state["completed"], state["in_progress"], state["failed"]) == (
        completed,
        in_progress,
        failed,
    )


def test_sanitize_log_with_status_text_as_key():
    # One nvme-cli release wrote the status text as the key (obj_add_str(sstat, status_str, str)).
    text = (
        '{"nvme0": {"sprog": 65535, "sstat": {"global_erased": 1, "no_cmplted_passes": 1,'
        ' "Sanitize Operation Completed Successfully": "(1) Sanitize Operation Completed'
        ' Successfully"}}}'
    )
    assert nvme.parse_sanitize_log(text)["completed"] is True


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_parsers_never_raise_on_garbage(text):
    for parse in (hdparm.parse, nvme.parse_id_ctrl, nvme.parse_sanitize_log):
        result = parse(text)
        assert isinstance(result["warnings"], list)


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '{"mn": 5}', "garbage\x00\x01"])
def test_nvme_garbled_gives_warnings(text):
    info = nvme.parse_id_ctrl(text)
    assert info["identified"] is False and info["warnings"]
