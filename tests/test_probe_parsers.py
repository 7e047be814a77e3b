"""Parser behaviour beyond the answer keys: vendor quirks, units, formats, placeholders."""

from __future__ import annotations

import json

import pytest
from support_probe import E480, FIXTURES, VM

from refurb.parsers import (
    battery,
    clean,
    cpuinfo,
    dmidecode,
    edid,
    lsblk,
    lspci,
    meminfo,
    os_release,
    smartctl,
    sysfs,
)

# -- placeholders -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "To Be Filled By O.E.M.",
        "to be filled by o.e.m.",
        "Default string",
        "System Serial Number",
        "0123456789",
        "Not Specified",
        "  ",
        "--",
        "0000000000000000",
        "FFFFFFFF",
        "OEM Define 2",
        "OEM_Define2",
        "A1_Manufacturer1",
        "<BAD INDEX>",
        "None",
        "XXXXXXXX",
    ],
)
def test_placeholders_are_null(value):
    assert clean.text(value) is None
    assert clean.serial(value) is None


@pytest.mark.parametrize("value", ["PF0ABC12", "5CG7281XYZ", "S3YZNB0KB00864E", "CND1234567"])
def test_real_serials_survive(value):
    assert clean.serial(f"  {value} ") == value


@pytest.mark.parametrize("value", ["9RK1XXXX", "PF0A****", "REDACTED", "ab"])
def test_masked_or_too_short_serials_are_null(value):
    assert clean.serial(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03000200-0400-0500-0006-000700080009", None),
        ("00000000-0000-0000-0000-000000000000", None),
        ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", None),
        ("Not Settable", None),
        ("4C4C4544-0042-3510-8052-B4C04F4B4D32", "4c4c4544-0042-3510-8052-b4c04f4b4d32"),
    ],
)
def test_uuids(value, expected):
    assert clean.uuid(value) == expected


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("8192 MB", 8 * 2**30),
        ("8 GB", 8 * 2**30),
        ("16 GB", 16 * 2**30),
        ("512 kB", 512 * 1024),
        ("No Module Installed", 0),
        ("Unknown", None),
        ("", None),
    ],
)
def test_dmi_sizes_are_binary(text, size):
    assert clean.dmi_size(text) == size


# -- model names (vendor quirks) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("manufacturer", "product", "version", "model"),
    [
        ("LENOVO", "20FMA03MCL", "ThinkPad T460", "ThinkPad T460"),
        ("LENOVO", "20JNS0LD02", "ThinkPad T470 W10DG", "ThinkPad T470"),
        ("LENOVO", "80YH", "Lenovo ideapad 320-15IKB", "Lenovo ideapad 320-15IKB"),
        ("LENOVO", "20FMA03MCL", None, "20FMA03MCL"),  # no Version: the code is all there is
        ("LENOVO", "20FMA03MCL", "LENOVO", "20FMA03MCL"),
        ("HP", "HP Compaq 6730b (GW682AV#ABB)", None, "HP Compaq 6730b"),
        ("HP", "HP EliteBook 840 G3", None, "HP EliteBook 840 G3"),
        ("ASUSTeK COMPUTER INC.", "VivoBook_ASUSLaptop X512DA_X512DA", "1.0", "VivoBook X512DA"),
        ("ASUSTeK COMPUTER INC.", "X541SA", "1.0", "X541SA"),
        ("Dell Inc.", "Latitude E6440", None, "Latitude E6440"),
        ("TOSHIBA", "Satellite L650", "PSK1EE-03Q005PL", "Satellite L650"),
        (None, None, None, None),
    ],
)
def test_model_name(manufacturer, product, version, model):
    assert dmidecode.model_name(manufacturer, product, version) == model


def test_dmidecode_details_of_a_real_dump():
    result = dmidecode.parse(
        (FIXTURES / "dmi" / "dell-latitude-e6440-d9b531f849c0.txt").read_text()
    )
    assert result["system"]["chassis_type"] == "Laptop"  # the first type-3 block, not the dock
    assert result["bios"]["date"] == "2019-06-13"
    memory = result["memory"]
    assert memory["slots_total"] == 2 and memory["slots_used"] == 2
    assert memory["installed_bytes"] == 12 * 2**30
    assert {m["speed_mts"] for m in memory["modules"]} == {1600}
    assert result["processor"]["cores"] == 2 and result["processor"]["threads"] == 4


def test_dmidecode_empty_slot_counted_not_listed():
    result = dmidecode.parse(
        (FIXTURES / "dmi" / "lenovo-thinkpad-t460-20fma03mcl-3db08df74c99.txt").read_text()
    )
    memory = result["memory"]
    assert (memory["slots_total"], memory["slots_used"]) == (2, 1)
    assert [m["locator"] for m in memory["modules"]] == ["ChannelA-DIMM0"]
    assert memory["modules"][0]["part_number"] == "M471B1G73EB0-YK0"


def test_dmidecode_jedec_codes_become_names():
    assert dmidecode.memory_manufacturer("80CE000080CE") == "Samsung"
    assert dmidecode.memory_manufacturer("0x802C") == "Micron"
    assert dmidecode.memory_manufacturer("Kingston") == "Kingston"
    # JEP106 continuation codes (Latitude D630): one 7F per bank after the first.
    assert dmidecode.memory_manufacturer("7F98000000000000") == "Kingston"
    assert dmidecode.memory_manufacturer("7F7F7F0B00000000") == "Nanya"
    assert dmidecode.memory_manufacturer("7F7F7F7F7F7F7F7F") == "7F7F7F7F7F7F7F7F"  # no id byte


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("012345678912345678912345678", True),  # Toshiba SKU template
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", True),
        ("0123456789012", True),
        ("ABCDEFG", False),  # too short to be sure
        ("12345678AB", False),
        ("PF0ABC12", False),
        ("20351", False),  # a Lenovo machine type
    ],
)
def test_counting_runs_are_placeholders(value, placeholder):
    assert clean.is_placeholder(value) is placeholder


def _device(form: str, kind: str, speed: str) -> str:
    return (
        "Handle 0x1000, DMI type 16, 23 bytes\nPhysical Memory Array\n\tUse: System Memory\n\n"
        "Handle 0x1100, DMI type 17, 92 bytes\nMemory Device\n\tArray Handle: 0x1000\n"
        f"\tSize: 16 GB\n\tForm Factor: {form}\n\tType: {kind}\n\tSpeed: {speed}\n"
    )


@pytest.mark.parametrize(
    ("form", "kind", "speed", "expected"),
    [
        ("SODIMM", "<OUT OF SPEC>", "4800 MT/s", "DDR5"),  # dmidecode < 3.3 on DDR5
        ("Row Of Chips", "<OUT OF SPEC>", "6400 MT/s", "LPDDR5"),
        ("Row Of Chips", "<OUT OF SPEC>", "4267 MT/s", None),  # could be LPDDR4X: unknown
        ("SODIMM", "<OUT OF SPEC>", "Unknown", None),
        ("SODIMM", "DDR4", "3200 MT/s", "DDR4"),
    ],
)
def test_dmidecode_memory_types_old_dmidecode_does_not_know(form, kind, speed, expected):
    (module,) = dmidecode.parse(_device(form, kind, speed))["memory"]["modules"]
    assert module["type"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# dmidecode 3.4\n# No SMBIOS nor DMI entry point found, sorry.\n",
        "/sys/firmware/dmi/tables/smbios_entry_point: Permission denied\n",
    ],
)
def test_dmidecode_without_structures_warns(text):
    result = dmidecode.parse(text)
    assert result["structures"] == 0
    assert result["system"]["model"] is None and result["memory"]["slots_total"] is None
    assert result["warnings"]


# -- smartctl -----------------------------------------------------------------------------------


def test_smartctl_exit_bits_are_health_facts():
    result = smartctl.parse((FIXTURES / "smartctl" / "scrutiny-smart-fail2.json").read_text())
    assert result["exit_status"] == 216
    assert result["flags"] == ["failing", "prefail_at_threshold", "error_log", "selftest_errors"]
    assert result["smart_passed"] is False
    assert result["usb_bridge"] is True  # behind a JMicron USB bridge, still protocol ATA
    assert result["warnings"] == []  # a failing disk is a fact, not a read error


def test_smartctl_failing_bit_without_status_block():
    data = json.loads((FIXTURES / "smartctl" / "scrutiny-smart-ata.json").read_text())
    del data["smart_status"]
    data["smartctl"]["exit_status"] = 8
    result = smartctl.parse(json.dumps(data))
    assert result["smart_passed"] is False and "failing" in result["flags"]


def test_smartctl_open_failure_warns():
    result = smartctl.parse((FIXTURES / "smartctl" / "scrutiny-smart-fail.json").read_text())
    assert result["flags"] == ["open_failed"]
    assert "Open failed" in result["warnings"][0]


def test_smartctl_not_json():
    result = smartctl.parse("smartctl 7.3 ... Please specify device type with the -d option.")
    assert result["model"] is None and result["warnings"]


# -- EDID ---------------------------------------------------------------------------------------


def test_edid_accepts_binary_hex_and_linuxhw_text():
    text = (FIXTURES / "edid" / "auo21ed-0db4f440fc11.txt").read_text()
    raw = edid.extract_bytes(text)
    assert len(raw) == 128
    plain_hex = raw.hex()
    xxd = "\n".join(raw[i : i + 16].hex() for i in range(0, 128, 16))
    xrandr = "\tEDID:\n" + "\n".join("\t\t" + raw[i : i + 16].hex() for i in range(0, 128, 16))
    results = [edid.parse(x) for x in (raw, text, plain_hex, xxd, xrandr, text.encode())]
    assert all(r == results[0] for r in results)
    assert results[0]["native_resolution"] == "1920x1080"
    assert results[0]["size_mm"] == [344, 193]
    assert results[0]["name"] == "B156HAN02.1"


def test_edid_bad_checksum_still_decodes_with_warning():
    raw = bytearray((E480 / "edid" / "card0-eDP-1.bin").read_bytes())
    raw[127] ^= 0xFF
    result = edid.parse(bytes(raw))
    assert result["checksum_ok"] is False and result["manufacturer_id"] == "LPL"
    assert any("checksum" in w for w in result["warnings"])


def test_edid_truncated():
    raw = (E480 / "edid" / "card0-eDP-1.bin").read_bytes()
    result = edid.parse(raw[:100])
    assert result["manufacturer_id"] is None and result["warnings"]


# -- battery ------------------------------------------------------------------------------------


def test_battery_energy_units_and_cycles():
    result = battery.parse((E480 / "power_supply" / "BAT0" / "uevent").read_text())
    assert result["is_battery"] and result["present"]
    assert (result["design_wh"], result["full_wh"]) == (45.28, 42.75)
    assert result["health_pct"] == 94.4 and result["cycle_count"] == 205


def test_mains_and_device_batteries_are_not_laptop_batteries():
    mains = battery.parse((E480 / "power_supply" / "AC" / "uevent").read_text())
    assert mains["is_battery"] is False
    mouse = battery.parse(
        "POWER_SUPPLY_NAME=hidpp_battery_0\nPOWER_SUPPLY_TYPE=Battery\n"
        "POWER_SUPPLY_SCOPE=Device\nPOWER_SUPPLY_CAPACITY=80\n"
    )
    assert mouse["is_battery"] is False


def test_battery_without_capacities_warns():
    result = battery.parse(
        "POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_PRESENT=1\n"
    )
    assert result["health_pct"] is None and result["warnings"]


def test_charge_units_without_voltage_still_give_health():
    result = battery.parse(
        "POWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_CHARGE_FULL_DESIGN=4000000\n"
        "POWER_SUPPLY_CHARGE_FULL=3000000\n"
    )
    assert result["health_pct"] == 75.0 and result["design_wh"] is None


# -- the others -------------------------------------------------------------------------------


def test_lsblk_from_a_capture():
    result = lsblk.parse((VM / "lsblk.json").read_text())
    names = [d["name"] for d in result["disks"]]
    assert "vda" in names and not any(n.startswith("zram") for n in names)
    vda = next(d for d in result["disks"] if d["name"] == "vda")
    assert vda["size_bytes"] > 0 and "/" in vda["mountpoints"]


def test_lsblk_old_string_values_and_children():
    text = json.dumps(
        {
            "blockdevices": [
                {
                    "name": "sda",
                    "type": "disk",
                    "size": "500107862016",
                    "rota": "0",
                    "rm": "0",
                    "tran": "sata",
                    "model": "Samsung SSD 860 ",
                    "children": [
                        {"name": "sda1", "type": "part", "mountpoint": "/boot/efi"},
                        {
                            "name": "sda2",
                            "type": "part",
                            "children": [{"name": "root", "type": "crypt", "mountpoint": "/"}],
                        },
                    ],
                },
                {"name": "sr0", "type": "rom", "size": "1073741312"},
                {"name": "sdb", "type": "disk", "size": 16008609792, "tran": "usb", "rm": True},
                {"name": "mmcblk0", "type": "disk", "size": 31268536320, "tran": None},
            ]
        }
    )
    disks = {d["name"]: d for d in lsblk.parse(text)["disks"]}
    assert set(disks) == {"sda", "sdb", "mmcblk0"}
    assert disks["sda"]["size_bytes"] == 500107862016 and disks["sda"]["rotational"] is False
    assert disks["sda"]["mountpoints"] == ["/boot/efi", "/"]
    assert disks["sda"]["model"] == "Samsung SSD 860" and disks["sda"]["protocol"] == "ATA"
    assert disks["sdb"]["protocol"] == "USB" and disks["sdb"]["removable"] is True
    assert disks["mmcblk0"]["protocol"] == "MMC"


def test_cpuinfo_counts_cores_not_threads():
    stanza = (
        "processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i5-6200U "
        "CPU @ 2.30GHz\nphysical id\t: 0\ncore id\t\t: {core}\ncpu cores\t: 2\nflags\t\t: fpu lm\n"
    )
    text = "\n".join(stanza.format(n=n, core=n % 2) for n in range(4))
    result = cpuinfo.parse(text)
    assert (result["cores"], result["threads"], result["vendor"], result["arch"]) == (
        2,
        4,
        "Intel",
        "x86_64",
    )


def test_cpuinfo_of_a_capture():
    result = cpuinfo.parse((VM / "cpuinfo.txt").read_text())
    assert result["threads"] >= 1 and result["model"] and result["hypervisor"] is True


def test_cpuinfo_arm_board():
    text = (
        "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"
        "CPU architecture: 8\n\nprocessor\t: 1\nCPU implementer\t: 0x41\nCPU architecture: 8\n\n"
        "Hardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n"
    )
    result = cpuinfo.parse(text)
    assert result["vendor"] == "ARM" and result["arch"] == "aarch64" and result["threads"] == 2
    assert result["model"] == "Raspberry Pi 4 Model B Rev 1.4"


def test_meminfo_and_os_release_of_a_capture():
    mem = meminfo.parse((VM / "meminfo.txt").read_text())
    assert mem["total_bytes"] > 2**20 and mem["total_bytes"] % 1024 == 0
    osr = os_release.parse((VM / "os-release").read_text())
    assert osr["id"] and osr["pretty_name"]


def test_lspci_graphics():
    text = (
        '00:02.0 "VGA compatible controller [0300]" "Intel Corporation [8086]" '
        '"HD Graphics 520 [1916]" -r07 "Lenovo [17aa]" "Device [2233]"\n'
        '01:00.0 "3D controller [0302]" "NVIDIA Corporation [10de]" "GM108M [GeForce 940MX] '
        '[134d]" -ra2 "Lenovo [17aa]" "Device [2233]"\n'
        '00:1f.6 "Ethernet controller [0200]" "Intel Corporation [8086]" "Ethernet [156f]" -r21\n'
    )
    result = lspci.parse(text)
    assert [g["pci_id"] for g in result["gpus"]] == ["8086:1916", "10de:134d"]
    assert result["gpus"][1]["model"] == "GM108M [GeForce 940MX]"
    assert len(result["devices"]) == 3


def test_sysfs_small_facts():
    assert sysfs.secure_boot(b"\x06\x00\x00\x00\x01") is True
    assert sysfs.secure_boot(b"\x06\x00\x00\x00\x00") is False
    assert sysfs.secure_boot(b"\x06") is None
    assert sysfs.tpm_version("2\n") == "2.0"
    assert sysfs.tpm_version(None, "Manufacturer: 0x49465800\nTCG version: 1.2\n") == "1.2"
    wifi = sysfs.network_interface(
        "wlp3s0", "DEVTYPE=wlan\nINTERFACE=wlp3s0\n", "1\n", "A4:34:D9:01:02:03\n", True
    )
    assert wifi == {"name": "wlp3s0", "kind": "wifi", "mac": "a4:34:d9:01:02:03"}
    assert (
        sysfs.network_interface("ifb0", "INTERFACE=ifb0", "1", "aa:bb:cc:dd:ee:ff", False) is None
    )
    assert sysfs.mac_address("00:00:00:00:00:00") is None
