"""Real probes (captured dumps read by the probe) × profiles -> grades, fits and reasons."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from support_grade import battery, fixture_probe, write_site_profiles

from refurb.grading import grade_device, load_rules

T480 = "lenovo-thinkpad-t480-20l6s01w00-f4ace26af601.txt"  # i5-8250U, 24 GB
T460 = "lenovo-thinkpad-t460-20fma03mcl-3db08df74c99.txt"  # i5-6200U, 8 GB
G3 = "hp-elitebook-840-g3-003d6485db70.txt"  # i5-6300U, 8 GB
X541 = "asus-x541sa-09ef9a682f0a.txt"  # Celeron N3060, 4 GB
P214 = "acer-travelmate-p214-906fa40fd033.txt"  # i7-1165G7, 8 GB
L7390 = "dell-latitude-7390-d815a0ca9f13.txt"  # i5-8250U, 16 GB
A315 = "acer-aspire-a315-22-142ea971be41.txt"  # AMD A9-9420e, 12 GB
L650 = "toshiba-satellite-l650-adc789099f5a.txt"  # Pentium P6000, 3 GB

KINGSTON_120 = "smartctl_exporter-sat-Phison_Driven_SSDs-KINGSTON_SA400M8120G-sda.json"
EVO860_500 = "scrutiny-smart-ata-full.json"
HITACHI_FAILING = "scrutiny-smart-fail2.json"
SEAGATE_200 = "smartctl_exporter-ST3200820AS_15.json"  # rotation rate not reported
INTEL_NVME_1T = "scrutiny-smart-nvme.json"
EVO970_250 = "smartctl_exporter-nvme-null-Samsung_SSD_970_EVO_Plus_250GB-nvme0.json"
WD_14T_HDD = "scrutiny-smart-ata.json"
UNREADABLE = "scrutiny-smart-fail.json"  # smartctl could not open the device

FHD = "auo21ed-0db4f440fc11.txt"  # 1920x1080
HD = "lgd7001-c8d02414f92b.txt"  # 1366x768

ALL_OK = {c: "ok" for c in ("screen", "keyboard", "touchpad", "webcam", "wifi", "audio", "usb",
                            "hinges", "case")} | {"cosmetic": "A"}  # fmt: skip
TPM_ON = {"tpm": {"version": "2.0"}, "secure_boot": True}


@dataclass
class Row:
    id: str
    dmi: str
    smart: list[str]
    probe: dict[str, Any]
    answers: dict[str, str]
    grade: str
    fits: list[str]
    areas: dict[str, str]
    first_reason: str
    windows11: bool | None
    mint: bool | None
    misses: dict[str, list[str]] = field(default_factory=dict)
    ubuntu: bool | None | str = "any"


ROWS = [
    Row("t480-small-ssd", T480, [KINGSTON_120], {"edid": FHD, "batteries": [battery(85)]}, ALL_OK,
        "B", ["school", "job-seeker", "basic"], {"specs": "B"},
        "120 GB storage (240 GB for A)", None, True),
    Row("t480-tpm-secure-boot", T480, [KINGSTON_120],
        {"edid": FHD, "batteries": [battery(85)], **TPM_ON}, ALL_OK,
        "B", ["school", "job-seeker", "basic"], {"specs": "B"},
        "120 GB storage (240 GB for A)", True, True),
    Row("t460-battery-40", T460, [EVO860_500], {"edid": HD, "batteries": [battery(40)]}, ALL_OK,
        "C", ["job-seeker", "basic"], {"specs": "B", "battery": "C"},
        "battery holds 40 % of its design capacity", False, True,
        {"school": ["battery at 40 %, needs 60 %"]}),
    Row("elitebook-failing-smart", G3, [HITACHI_FAILING],
        {"edid": HD, "batteries": [battery(90)], "internal": True}, ALL_OK,
        "D", ["parts"], {"specs": "B", "storage": "D", "battery": "A"},
        "SMART says disk Hitachi HDS721050DLE630 is failing", False, True,
        {"basic": ["grade D, needs C or better", "storage not healthy (see the storage grade)"]}),
    Row("celeron-4gb-unknown-disk-kind", X541, [SEAGATE_200],
        {"edid": HD, "batteries": [battery(70)]}, ALL_OK,
        "C", ["basic"], {"specs": "C", "storage": "A", "battery": "B"},
        "entry-level processor (Intel Celeron/Pentium (Braswell))", False, True,
        {"job-seeker": ["storage type unknown, needs an SSD"],
         "school": ["4 GB RAM, needs 8 GB", "storage type unknown, needs an SSD"]}),
    Row("tiger-lake-all-good", P214, [INTEL_NVME_1T],
        {"edid": FHD, "batteries": [battery(95)], **TPM_ON}, ALL_OK,
        "A", ["school", "job-seeker", "basic"], {a: "A" for a in
        ("specs", "storage", "battery", "cosmetic", "function")},
        "no problems found: every area is grade A", True, True, ubuntu=True),
    Row("tiger-lake-broken-webcam", P214, [INTEL_NVME_1T],
        {"edid": FHD, "batteries": [battery(95)], **TPM_ON},
        ALL_OK | {"webcam": "faulty", "hinges": "worn", "cosmetic": "B"},
        "C", ["basic"], {"function": "C", "cosmetic": "B"},
        "webcam: faulty", True, True,
        {"school": ["webcam: faulty"], "job-seeker": ["webcam: faulty"]}),
    Row("latitude-checks-not-answered", L7390, [EVO970_250], {"batteries": [battery(88)]},
        {"keyboard": "ok", "cosmetic": "A"},
        "C", ["parts"], {"specs": "A", "storage": "A", "cosmetic": "C", "function": "C"},
        "not checked: hinges, case", None, None,
        {"basic": ["screen: not checked"]}),
    Row("amd-a9-entry", A315, [KINGSTON_120], {"batteries": [battery(65)]}, ALL_OK,
        "C", ["school", "job-seeker", "basic"], {"specs": "C", "battery": "B"},
        "entry-level processor (AMD A-series (Stoney / Bristol Ridge))", False, None),
    Row("pentium-2010-no-battery", L650, [WD_14T_HDD], {"edid": HD, "batteries": []}, ALL_OK,
        "D", ["parts"], {"specs": "D", "storage": "A", "battery": "C"},
        "processor from 2010", False, True,
        {"basic": ["grade D, needs C or better", "3 GB RAM, needs 4 GB"]}, ubuntu=False),
    Row("no-readable-disk", L650, [UNREADABLE], {"batteries": [battery(None)]}, ALL_OK,
        "D", ["parts"], {"storage": "D", "battery": "C"},
        "processor from 2010", False, None),
]  # fmt: skip


@pytest.fixture(scope="module")
def rules():
    return load_rules(None)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_real_probe_grades(rules, row):
    probe = fixture_probe(row.dmi, row.smart, **row.probe)
    result = grade_device(probe, row.answers, rules)
    assert result.grade == row.grade, result.reasons
    assert result.profiles == row.fits
    for area, grade in row.areas.items():
        assert result.areas[area]["grade"] == grade, (area, result.areas[area])
    assert result.reasons[0].startswith(row.first_reason), result.reasons
    # The worst area sets the grade, and each lowered area says why.
    graded = [a["grade"] for a in result.areas.values() if a["grade"]]
    assert result.grade == max(graded)
    for area in result.areas.values():
        if area["grade"] is not None:
            assert (area["grade"] == "A") == (area["reasons"] == []), area
    for profile, missing in row.misses.items():
        assert result.suitability[profile]["missing"] == missing
    assert result.windows11["ready"] is row.windows11, result.windows11
    assert result.linux["linux-mint"]["ready"] is row.mint, result.linux["linux-mint"]
    if row.ubuntu != "any":
        assert result.linux["ubuntu"]["ready"] is row.ubuntu
    payload = result.to_payload()
    assert json.loads(json.dumps(payload)) == payload
    assert {"grade", "profile", "profiles", "reasons", "answers", "windows11", "linux"} <= set(
        payload
    )
    assert payload["profile"] == "basic"


def test_failing_disk_and_weak_battery_cap_the_grade(rules):
    """The same laptop, changed in one place each time: the change alone sets the grade."""
    good = fixture_probe(P214, [INTEL_NVME_1T], edid=FHD, batteries=[battery(95)], **TPM_ON)
    assert grade_device(good, ALL_OK, rules).grade == "A"

    weak = fixture_probe(P214, [INTEL_NVME_1T], edid=FHD, batteries=[battery(40)], **TPM_ON)
    result = grade_device(weak, ALL_OK, rules)
    assert result.grade == "C"
    assert result.reasons == ["battery holds 40 % of its design capacity (80 % for A)"]

    failing = fixture_probe(
        P214, [HITACHI_FAILING], edid=FHD, batteries=[battery(95)], internal=True, **TPM_ON
    )
    result = grade_device(failing, ALL_OK, rules)
    assert result.grade == "D"
    assert result.reasons[0] == "SMART says disk Hitachi HDS721050DLE630 is failing"
    assert result.profiles == ["parts"]


def test_usb_stick_is_not_the_laptops_disk(rules):
    """The stick refurb boots from is not graded: a failing USB disk leaves no internal disk."""
    probe = fixture_probe(P214, [HITACHI_FAILING], edid=FHD, batteries=[battery(95)])
    result = grade_device(probe, ALL_OK, rules)
    assert result.areas["storage"]["reasons"] == ["no internal disk found"]


def test_profiles_change_the_thresholds(rules, refurb_home):
    """The same probe graded against different profiles: per-profile thresholds are data."""
    write_site_profiles(
        refurb_home,
        """
[profile.lab]
description = "Library computer lab: plugged in all day"
[profile.lab.grades]
storage_gb = [100, 60, 30]
no_battery = "A"
[profile.lab.require]
ram_gb = 16
""",
    )
    site = load_rules(refurb_home)
    probe = fixture_probe(T480, [KINGSTON_120], edid=FHD, batteries=[])
    basic = grade_device(probe, ALL_OK, site)
    lab = grade_device(probe, ALL_OK, site, "lab")
    assert (basic.profile, basic.grade) == ("basic", "C")  # no battery: C
    assert (lab.profile, lab.grade) == ("lab", "A")
    assert "lab" in lab.profiles and "lab" in basic.profiles  # fits does not depend on the choice
    assert basic.suitability["school"]["missing"] == ["no battery, needs 60 %"]


def test_desktop_has_no_battery_area(rules):
    probe = fixture_probe(T480, [KINGSTON_120], edid=FHD, batteries=[])
    probe["system"]["chassis_type"] = "Desktop"
    result = grade_device(probe, ALL_OK, rules)
    assert result.areas["battery"]["grade"] is None
    assert result.grade == "B"


def test_worn_answers_and_cosmetic_grade(rules):
    probe = fixture_probe(P214, [INTEL_NVME_1T], edid=FHD, batteries=[battery(95)], **TPM_ON)
    answers = ALL_OK | {"keyboard": "worn", "case": "faulty", "cosmetic": "B"}
    result = grade_device(probe, answers, rules)
    assert result.areas["function"] == {"grade": "B", "reasons": ["keyboard: worn"]}
    assert result.areas["cosmetic"]["grade"] == "C"
    assert result.reasons[0] == "case: faulty"
    assert "school" in result.profiles  # worn still works; the grade C is enough for school


def test_core_refuses_answers_out_of_range(rules):
    """Callers other than the CLI (the guided workbench flow) get the same checks on answers."""
    from refurb.errors import InvalidInput

    probe = fixture_probe(P214, [INTEL_NVME_1T], edid=FHD, batteries=[battery(95)])
    with pytest.raises(InvalidInput, match="out of range"):
        grade_device(probe, ALL_OK | {"screen": "cracked"}, rules)
    with pytest.raises(InvalidInput, match="unknown check"):
        grade_device(probe, ALL_OK | {"joystick": "ok"}, rules)
    assert grade_device(probe, ALL_OK | {"screen": "W"}, rules).answers["screen"] == "worn"
