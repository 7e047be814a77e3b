"""Operating-system readiness: does this device meet Windows 11's or a Linux's minimums.

Each requirement is met (True), missed (False) or unknown (None: the probe could not tell); the OS
is ready only when none is missed or unknown. The minimums shared with the profiles' requirements
(memory, storage) are worded once here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from refurb.grading.facts import Facts, main_disk_gb
from refurb.grading.terms import fmt_num
from refurb.i18n import _


def minimum(
    has: float | None, need: float, unknown: str, says: Callable[[Any], str]
) -> tuple[bool | None, str]:
    """One "at least" requirement: unknown (None) when the probe could not tell, else met or
    missed, worded by ``says(has)``. OS minimums and profile requirements share it."""
    if has is None:
        return None, unknown
    return has >= need, says(has)


def ram_minimum(facts: Facts, need: float) -> tuple[bool | None, str]:
    """At least ``need`` GB of memory."""
    return minimum(
        facts.ram_gb,
        need,
        _("memory size unknown"),
        lambda has: _("{has} GB RAM, needs {need} GB").format(has=fmt_num(has), need=fmt_num(need)),
    )


def storage_minimum(facts: Facts, need: float) -> tuple[bool | None, str]:
    """At least ``need`` GB on the main disk, in GB as sold (what Windows 11's "64 GB" means)."""
    return minimum(
        main_disk_gb(facts),
        need,
        _("storage size unknown"),
        lambda has: _("{has} GB storage, needs {need} GB").format(
            has=fmt_num(round(has)), need=fmt_num(need)
        ),
    )


def _os_item(requirement: str, ok: bool | None, text: str) -> dict[str, Any]:
    return {"requirement": requirement, "ok": ok, "text": text}


def os_readiness(spec: Mapping[str, Any], facts: Facts) -> dict[str, Any]:
    """Can this device run that OS: every requirement met (True), one missed (False), or unknown."""
    items: list[dict[str, Any]] = []
    if "arch" in spec:
        if facts.arch is None:
            items.append(_os_item("arch", None, _("processor architecture unknown")))
        else:
            ok = facts.arch in spec["arch"]
            items.append(
                _os_item(
                    "arch",
                    ok,
                    _("{arch} processor").format(arch=facts.arch)
                    if ok
                    else _("{arch} processor, needs {need}").format(
                        arch=facts.arch, need=" / ".join(spec["arch"])
                    ),
                )
            )
    if spec.get("supported_cpu"):
        cpu = facts.cpu
        name = cpu.family or cpu.model or _("unknown processor")
        if cpu.windows11 is True:
            items.append(
                _os_item("cpu", True, _("processor supported ({family})").format(family=name))
            )
        elif cpu.windows11 is False:
            items.append(
                _os_item(
                    "cpu",
                    False,
                    _("processor not on the supported list ({family})").format(family=name),
                )
            )
        else:
            items.append(
                _os_item("cpu", None, _("processor support unknown ({family})").format(family=name))
            )
    if "cores" in spec:
        need = spec["cores"]
        ok, text = minimum(
            facts.cores,
            need,
            _("number of cores unknown"),
            lambda n: _("{n} cores, needs {need}").format(n=n, need=fmt_num(need)),
        )
        items.append(_os_item("cores", ok, text))
    if "cpu_mhz" in spec:
        need = spec["cpu_mhz"]
        speed = facts.max_mhz
        if speed is None and facts.base_mhz is not None and facts.base_mhz >= need:
            speed = facts.base_mhz  # the base clock already suffices
        ok, text = minimum(
            speed,
            need,
            _("processor speed unknown"),
            lambda mhz: _("{mhz} MHz, needs {need} MHz").format(
                mhz=fmt_num(mhz), need=fmt_num(need)
            ),
        )
        items.append(_os_item("cpu_mhz", ok, text))
    if "ram_gb" in spec:
        items.append(_os_item("ram", *ram_minimum(facts, spec["ram_gb"])))
    if "storage_gb" in spec:
        items.append(_os_item("storage", *storage_minimum(facts, spec["storage_gb"])))
    if "tpm" in spec:
        need = spec["tpm"]
        if facts.tpm is None:
            items.append(
                _os_item(
                    "tpm",
                    None,
                    _(
                        "no TPM found: it may be switched off in the firmware setup"
                        " (Intel PTT / AMD fTPM)"
                    ),
                )
            )
        else:
            ok = float(facts.tpm) >= float(need)
            items.append(
                _os_item("tpm", ok, _("TPM {has}, needs {need}").format(has=facts.tpm, need=need))
            )
    if spec.get("secure_boot"):
        if facts.secure_boot_capable is True:
            text = (
                _("Secure Boot on")
                if facts.secure_boot
                else _("Secure Boot supported (switch it on in the firmware setup)")
            )
            items.append(_os_item("secure_boot", True, text))
        elif facts.secure_boot_capable is False:
            items.append(_os_item("secure_boot", False, _("no Secure Boot (legacy BIOS firmware)")))
        elif facts.secure_boot is False:
            text = _(
                "Secure Boot is off (or the stick was started in legacy mode):"
                " check that the firmware setup can switch it on"
            )
            items.append(_os_item("secure_boot", None, text))
        else:
            items.append(
                _os_item(
                    "secure_boot", None, _("Secure Boot state unknown: check the firmware setup")
                )
            )
    if "screen" in spec:
        width, height = (int(x) for x in spec["screen"].split("x"))
        if facts.screen is None:
            items.append(_os_item("screen", None, _("screen resolution unknown")))
        else:
            ok = facts.screen[0] >= width and facts.screen[1] >= height
            items.append(
                _os_item(
                    "screen",
                    ok,
                    _("screen {w}x{h}, needs {need}").format(
                        w=facts.screen[0], h=facts.screen[1], need=spec["screen"]
                    ),
                )
            )
    oks = [item["ok"] for item in items]
    ready = False if False in oks else (None if None in oks else True)
    notes: list[str] = []
    rec = spec.get("recommended", {})
    if "ram_gb" in rec and facts.ram_gb is not None and facts.ram_gb < rec["ram_gb"]:
        notes.append(_("{need} GB RAM recommended").format(need=fmt_num(rec["ram_gb"])))
    size = main_disk_gb(facts)
    if "storage_gb" in rec and size is not None and size < rec["storage_gb"]:
        notes.append(_("{need} GB storage recommended").format(need=fmt_num(rec["storage_gb"])))
    return {
        "name": spec.get("name", ""),
        "ready": ready,
        "missing": [i["text"] for i in items if i["ok"] is False],
        "unknown": [i["text"] for i in items if i["ok"] is None],
        "notes": notes,
        "checks": items,
    }
