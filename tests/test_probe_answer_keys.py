"""Every field of every answer key (expected.jsonl beside real captured outputs) is checked.

One generic test walks all (file, expected) pairs, as jc's tests do: supporting a new machine means
adding a capture and its line, not code.
"""

from __future__ import annotations

import pytest
from support_probe import ANSWER_KEYS, FIXTURES, answer_key_cases

from refurb.parsers import dmidecode

CASES = list(answer_key_cases())


def test_every_answer_key_has_cases():
    folders = {folder for folder, _entry in CASES}
    assert folders == set(ANSWER_KEYS)
    assert len(CASES) >= 24 + 9 + 6 + 4


@pytest.mark.parametrize(("folder", "entry"), CASES, ids=[f"{f}/{e['file']}" for f, e in CASES])
def test_answer_key(folder, entry):
    parse, fields_of = ANSWER_KEYS[folder]
    result = parse(FIXTURES / folder / entry["file"])
    got = fields_of(result)
    wanted = {k: v for k, v in entry.items() if k not in ("file", "source")}
    missing = set(wanted) - set(got)
    assert not missing, f"answer-key fields the parser does not produce: {missing}"
    mismatches = {k: (v, got[k]) for k, v in wanted.items() if got[k] != v}
    assert not mismatches, f"(expected, got): {mismatches}"
    assert isinstance(result["warnings"], list)


# Strings the answer key keeps verbatim but the probe must never report as facts.
PLACEHOLDER_STRINGS = {
    "",
    "To be filled by O.E.M.",
    "Not Specified",
    "Not Applicable",
    "Type1ProductConfigId",
    "00",
}


@pytest.mark.parametrize("entry", [e for f, e in CASES if f == "dmi"], ids=lambda e: e["file"])
def test_dmi_placeholders_become_null(entry):
    result = dmidecode.parse((FIXTURES / "dmi" / entry["file"]).read_text())
    for key in ("manufacturer", "product_name", "version"):
        raw = entry[key]
        expected = None if raw in PLACEHOLDER_STRINGS else raw
        assert result["system"][key] == expected, (key, raw)
    assert result["system"]["serial"] is None  # linuxhw masks serials as "--"
    assert result["system"]["uuid"] is None


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("smartctl_exporter-ST3200820AS_15.json", "REDACTED"),
        ("scrutiny-smart-ata.json", "9RK1XXXX"),
    ],
)
def test_masked_disk_serials_do_not_reach_the_probe(name, masked, tmp_path):
    from refurb.probe import probe_from_dir

    (tmp_path / "smartctl").mkdir()
    (tmp_path / "smartctl" / name).write_bytes((FIXTURES / "smartctl" / name).read_bytes())
    probe = probe_from_dir(tmp_path)
    (disk,) = probe["disks"]
    assert disk["serial"] is None
    assert disk["model"] is not None
