"""Grading rules as data: CPU families, shipped profiles, site overrides, and bad rule files."""

from __future__ import annotations

import pytest
from support_grade import DMI, dmi_processor, write_site_profiles

from refurb.errors import InvalidInput
from refurb.grading import classify_cpu, load_cpu_rules, load_rules

# Every processor in the real DMI dumps: family, first year, entry tier, on Microsoft's list.
FIXTURE_CPUS = {
    "acer-aspire-a315-22-142ea971be41.txt": (
        "AMD A-series (Stoney / Bristol Ridge)",
        2016,
        "entry",
        False,
    ),
    "acer-travelmate-p214-906fa40fd033.txt": ("Intel Core 11th gen", 2020, "mainstream", True),
    "apple-macbookpro11-5-f8234a9f336b.txt": ("Intel Core 4th gen", 2013, "mainstream", False),
    "asus-x541sa-09ef9a682f0a.txt": ("Intel Celeron/Pentium (Braswell)", 2015, "entry", False),
    "clevo-nl40-50gu-a04c1628fdf5.txt": (
        "Intel Celeron/Pentium (Gemini Lake Refresh)",
        2019,
        "entry",
        True,
    ),
    "dell-inspiron-15-3567-5aee3b5f98a8.txt": ("Intel Core 7th gen", 2016, "mainstream", False),
    "dell-latitude-7390-d815a0ca9f13.txt": ("Intel Core 8th gen", 2017, "mainstream", True),
    "dell-latitude-e6440-d9b531f849c0.txt": ("Intel Core 4th gen", 2013, "mainstream", False),
    "fujitsu-lifebook-a532-11a6afcb9899.txt": ("Intel Core 3rd gen", 2012, "mainstream", False),
    "hp-elitebook-840-g3-003d6485db70.txt": ("Intel Core 6th gen", 2015, "mainstream", False),
    "hp-pavilion-notebook-d7621e392fc4.txt": ("Intel Core 6th gen", 2015, "mainstream", False),
    "hp-probook-450-g5-657654f8fb9e.txt": ("Intel Core 8th gen", 2017, "mainstream", True),
    "lenovo-ideapad-320-15ikb-80yh-57a98c382774.txt": (
        "Intel Core 7th gen",
        2016,
        "mainstream",
        False,
    ),
    "lenovo-thinkpad-e480-20kns0e200-e8b33ad07da0.txt": (
        "Intel Core 8th gen",
        2017,
        "mainstream",
        True,
    ),
    "lenovo-thinkpad-l13-yoga-gen-2-20vk0019us-9840c5a6b185.txt": (
        "Intel Core 11th gen",
        2020,
        "mainstream",
        True,
    ),
    "lenovo-thinkpad-t430-23426qu-fc86c41aae55.txt": (
        "Intel Core 3rd gen",
        2012,
        "mainstream",
        False,
    ),
    "lenovo-thinkpad-t460-20fma03mcl-3db08df74c99.txt": (
        "Intel Core 6th gen",
        2015,
        "mainstream",
        False,
    ),
    "lenovo-thinkpad-t470-w10dg-20jns0ld02-c2c00f2d6f27.txt": (
        "Intel Core 6th gen",
        2015,
        "mainstream",
        False,
    ),
    "lenovo-thinkpad-t480-20l6s01w00-f4ace26af601.txt": (
        "Intel Core 8th gen",
        2017,
        "mainstream",
        True,
    ),
    "lenovo-thinkpad-x1-carbon-6th-20kgs23s00-c5381c43d554.txt": (
        "Intel Core 8th gen",
        2017,
        "mainstream",
        True,
    ),
    "lenovo-thinkpad-x230-23252eg-d91d92f705f1.txt": (
        "Intel Core 3rd gen",
        2012,
        "mainstream",
        False,
    ),
    "medion-akoya-e6416-9436c567d073.txt": ("Intel Core 5th gen", 2015, "mainstream", False),
    "toshiba-satellite-l650-adc789099f5a.txt": (
        "Intel Celeron/Pentium (Arrandale)",
        2010,
        "entry",
        False,
    ),
    "whitelabel-placeholder-588547542e72.txt": ("Intel Core 4th gen", 2013, "mainstream", False),
}

# Processor names as the kernel / DMI print them, beyond the dumps (Intel ARK, AMD product names).
MORE_CPUS = [
    ("AMD Ryzen 5 3500U with Radeon Vega Mobile Gfx", "AMD Ryzen 3000", True),
    ("AMD Ryzen 7 PRO 4750U with Radeon Graphics", "AMD Ryzen 4000", True),
    ("AMD Ryzen 5 PRO 2500U w/ Radeon Vega Mobile Gfx", "AMD Ryzen 2000", True),
    ("AMD Ryzen 7 1700X Eight-Core Processor", "AMD Ryzen 1000", False),
    ("AMD Ryzen 7 5800H with Radeon Graphics", "AMD Ryzen 5000", True),
    ("AMD Ryzen AI 9 HX 370 w/ Radeon 890M", "AMD Ryzen AI (2024)", True),
    ("AMD Athlon Silver 3050U with Radeon Graphics", "AMD Athlon (Zen)", True),
    (
        "AMD A6-9225 RADEON R4, 5 COMPUTE CORES 2C+3G",
        "AMD A-series (Stoney / Bristol Ridge)",
        False,
    ),
    ("AMD E-350 Processor", "AMD A/E-series (2011-2013)", False),
    ("Intel(R) Core(TM) i5-1035G1 CPU @ 1.00GHz", "Intel Core 10th gen", True),
    ("Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz", "Intel Core 10th gen", True),
    ("12th Gen Intel(R) Core(TM) i5-1235U", "Intel Core 12th gen", True),
    ("13th Gen Intel(R) Core(TM) i7-13700H", "Intel Core 13th gen", True),
    ("Intel(R) Core(TM) Ultra 7 155H", "Intel Core Ultra (series 1)", True),
    ("Intel(R) Core(TM) 5 120U", "Intel Core 3/5/7 (2024)", True),
    ("Intel(R) Core(TM) m3-7Y30 CPU @ 1.00GHz", "Intel Core 7th gen", False),
    ("Intel(R) Core(TM) m3-8100Y CPU @ 1.10GHz", "Intel Core 8th gen", True),
    ("Intel(R) Core(TM) M-5Y10c CPU @ 0.80GHz", "Intel Core 5th gen", False),
    ("Intel(R) Core(TM) i5 CPU       M 520  @ 2.40GHz", "Intel Core 1st gen", False),
    ("Intel(R) Core(TM) i7 CPU       Q 720  @ 1.60GHz", "Intel Core 1st gen", False),
    ("Intel(R) Core(TM) i5-520M CPU @ 2.40GHz", "Intel Core 1st gen", False),
    ("Intel(R) Core(TM)2 Duo CPU     T6600  @ 2.20GHz", "Intel Core 2", False),
    (
        "Intel(R) Celeron(R) N4020 CPU @ 1.10GHz",
        "Intel Celeron/Pentium (Gemini Lake Refresh)",
        True,
    ),
    ("Intel(R) Celeron(R) N4000 CPU @ 1.10GHz", "Intel Celeron/Pentium (Gemini Lake)", False),
    ("Intel(R) Celeron(R) CPU 847 @ 1.10GHz", "Intel Celeron/Pentium (Sandy Bridge)", False),
    ("Intel(R) Pentium(R) CPU 4415U @ 2.30GHz", "Intel Celeron/Pentium (Kaby Lake)", False),
    (
        "Intel(R) Pentium(R) Gold 5405U CPU @ 2.30GHz",
        "Intel Celeron/Pentium (Whiskey / Amber Lake)",
        True,
    ),
    ("Intel(R) N100", "Intel Processor N-series (Alder Lake-N)", True),
    ("Intel(R) Atom(TM) CPU N270   @ 1.60GHz", "Intel Atom (32-bit netbook era)", False),
    ("Intel(R) Atom(TM) CPU N450   @ 1.66GHz", "Intel Atom (netbook era)", False),
    ("Intel(R) Pentium(R) M processor 1.73GHz", "Intel Pentium M / Celeron M / Pentium 4", False),
    (
        "Intel(R) Pentium(R) Dual  CPU  T2390  @ 1.86GHz",
        "Intel Pentium / Celeron (Core 2 era)",
        False,
    ),
    (
        "Intel(R) Atom(TM) x5-Z8350  CPU @ 1.44GHz",
        "Intel Atom x5/x7 (Cherry Trail / Apollo Lake)",
        False,
    ),
    ("Intel(R) Xeon(R) CPU E3-1505M v5 @ 2.80GHz", None, None),
    # /proc/cpuinfo of 2006-2009 laptops (Ubuntu forum posts): no brand in the name.
    (
        "Genuine Intel(R) CPU           T2400  @ 1.83GHz",
        "Intel Core Duo / Solo (Yonah)",
        False,
    ),
    (
        "Genuine Intel(R) CPU           T2060  @ 1.60GHz",
        "Intel Core Duo / Solo (Yonah)",
        False,
    ),
    (
        "Genuine Intel(R) CPU           U4100  @ 1.30GHz",
        "Intel Core 2 / Pentium ULV (Penryn)",
        False,
    ),
    ("Intel Core 2 Duo", "Intel Core 2", False),  # DMI Family when Version is a placeholder
]


@pytest.fixture(scope="module")
def cpu_rules():
    return load_cpu_rules(None)


def test_every_fixture_processor_is_recognised(cpu_rules):
    dumps = sorted(p.name for p in DMI.glob("*.txt"))
    assert dumps == sorted(FIXTURE_CPUS), "a dump without an expected family, or the reverse"
    for name, (family, year, tier, win11) in FIXTURE_CPUS.items():
        model = dmi_processor(name)
        found = classify_cpu(model, cpu_rules)
        assert (found.family, found.year, found.tier, found.windows11) == (
            family,
            year,
            tier,
            win11,
        ), f"{name}: {model!r}"


@pytest.mark.parametrize(("model", "family", "win11"), MORE_CPUS, ids=[m[0] for m in MORE_CPUS])
def test_processor_names(cpu_rules, model, family, win11):
    found = classify_cpu(model, cpu_rules)
    assert found.family == family
    assert found.windows11 is win11


def test_unknown_and_empty_processor(cpu_rules):
    assert classify_cpu(None, cpu_rules).family is None
    assert classify_cpu("", cpu_rules).year is None
    assert classify_cpu("Qualcomm Snapdragon 7c", cpu_rules).windows11 is None


def test_shipped_profiles():
    rules = load_rules(None)
    assert list(rules.profiles) == ["school", "job-seeker", "basic", "parts"]
    assert rules.default == "basic"
    school = rules.profiles["school"].require
    assert school["ram_gb"] == 8 and school["ssd"] is True and school["battery_pct"] == 60
    assert "webcam" in school["checks"]
    basic = rules.profiles["basic"].require
    assert basic["ram_gb"] == 4 and basic["storage_gb"] == 120 and "ssd" not in basic
    assert rules.profiles["parts"].fallback
    assert set(rules.checks) == {
        "screen", "keyboard", "touchpad", "webcam", "wifi", "audio", "usb", "hinges", "case"
    }  # fmt: skip
    win = rules.os["windows11"]
    assert (win["ram_gb"], win["storage_gb"], win["tpm"], win["secure_boot"]) == (
        4,
        64,
        "2.0",
        True,
    )


def test_unknown_profile_lists_the_known_ones():
    rules = load_rules(None)
    with pytest.raises(InvalidInput) as err:
        rules.profile("schol")
    assert "schol" in err.value.message
    for name in ("school", "job-seeker", "basic", "parts"):
        assert name in err.value.message


def test_site_file_overrides_key_by_key(refurb_home):
    write_site_profiles(
        refurb_home,
        """
default = "school"
[profile.school.require]
battery_pct = 70
[profile.job-seeker]
enabled = false
[profile.lab]
description = "Computer lab at the library"
[profile.lab.require]
ram_gb = 16
[grades]
battery_pct = [90, 70, 50]
""",
    )
    rules = load_rules(refurb_home)
    assert rules.default == "school"
    assert rules.profiles["school"].require["battery_pct"] == 70
    assert rules.profiles["school"].require["ram_gb"] == 8  # untouched keys stay
    assert "job-seeker" not in rules.profiles
    assert rules.profiles["lab"].require == {"ram_gb": 16}
    assert rules.profiles["basic"].grades["battery_pct"] == [90, 70, 50]
    assert rules.profiles["basic"].grades["ram_gb"] == [8, 4, 2]
    assert [p.name for p in rules.sources] == ["profiles.toml", "profiles.toml"]


def test_site_cpu_rules_come_first(refurb_home):
    write_site_profiles(
        refurb_home,
        """
[[cpu]]
name = "Intel Core 7th gen (i7-7820HQ, on Microsoft's list)"
match = 'i7-7820HQ'
year = 2017
tier = "mainstream"
windows11 = true
""",
        name="cpu_generations.toml",
    )
    rules = load_cpu_rules(refurb_home)
    assert classify_cpu("Intel(R) Core(TM) i7-7820HQ CPU @ 2.90GHz", rules).windows11 is True
    assert classify_cpu("Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz", rules).windows11 is False


BAD_FILES = [
    # (file content, line number, words that must be in the message)
    (
        "[profile.school.require]\nram_gb = 8\nbattery_pct 60\n",
        3,
        ["not valid TOML", "battery_pct"],
    ),
    (
        '[profile.school.require]\nram_gb = "eight"\n',
        2,
        ["profile.school.require.ram_gb", "number"],
    ),
    (
        "[profile.school.require]\n\nram_gbb = 8\n",
        3,
        ["profile.school.require.ram_gbb", "unknown key"],
    ),
    (
        '[profile.basic]\nrequire = { grade = "E" }\n',
        2,
        ["profile.basic.require.grade", "A, B, C or D"],
    ),
    ("[grades]\nbattery_pct = [40, 60, 80]\n", 2, ["grades.battery_pct", "highest first"]),
    ('[checks.keyboard]\narea = "looks"\n', 2, ["checks.keyboard.area", "function"]),
    (
        '\n[profile.school.require]\nchecks = ["webcam", "joystick"]\n',
        3,
        ["profile.school.require.checks", "joystick"],
    ),
    ('default = "library"\n', 1, ["default", "library", "school"]),
    ("[os.windows11]\ntpm = 2\n", 2, ["os.windows11.tpm", "2.0"]),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD_FILES, ids=[w[0] for _, _, w in BAD_FILES])
def test_malformed_site_file_names_the_line_and_key(refurb_home, text, line, words):
    path = write_site_profiles(refurb_home, text)
    with pytest.raises(InvalidInput) as err:
        load_rules(refurb_home)
    message = err.value.message
    assert f"{path}:{line}:" in message
    for word in words:
        assert word in message


def test_bad_cpu_rule_names_the_entry(refurb_home):
    path = write_site_profiles(
        refurb_home,
        '[[cpu]]\nname = "ok"\nmatch = "x"\n\n[[cpu]]\nname = "broken"\nmatch = "i7-(8"\n',
        name="cpu_generations.toml",
    )
    with pytest.raises(InvalidInput) as err:
        load_cpu_rules(refurb_home)
    assert f"{path}:7:" in err.value.message and "cpu[2].match" in err.value.message


def test_profiles_command_lists_site_profiles(run_cli, refurb_home):
    write_site_profiles(refurb_home, '[profile.lab]\ndescription = "Library lab"\n')
    data = run_cli("grade", "profiles", "--json", expect=0).json
    names = [p["name"] for p in data["profiles"]]
    assert names == ["school", "job-seeker", "basic", "parts", "lab"]
    assert data["default"] == "basic"
    school = next(p for p in data["profiles"] if p["name"] == "school")
    assert "at least 8 GB RAM" in school["requirements"]
    text = run_cli("grade", "profiles", expect=0).stdout
    assert "Library lab" in text and "basic (default)" in text


def test_profiles_command_reports_a_bad_file(run_cli, refurb_home):
    path = write_site_profiles(refurb_home, "[profile.school.require]\nram_gb = -1\n")
    result = run_cli("grade", "profiles", expect=1)
    assert f"{path}:2: profile.school.require.ram_gb" in result.stderr
    assert "Traceback" not in result.stderr
