"""The plan for an eMMC (``refurb.wipe.plan._plan_method`` hands eMMCs here): the chip's own
erase from ``refurb.emmc_sanitize`` first where it has one, then the overwrite and read-back
every disk gets; without one, the overwrite alone with the reason in the plan."""

from __future__ import annotations

from typing import Any

from refurb import emmc_sanitize
from refurb.errors import Refused
from refurb.i18n import _
from refurb.wipe.disk import Disk
from refurb.wipe.plan import DiskPlan, DiskRunner, WipeOptions, _overwrite_notes


def plan_emmc(
    disk: Disk, options: WipeOptions, runner: DiskRunner, common: dict[str, Any]
) -> DiskPlan:
    """An eMMC: the chip's Sanitize (or Secure Erase) where it has one, then the overwrite and
    read-back every disk gets; without one, the overwrite alone, saying why."""
    overwrite = {
        "method": "prng",
        "pattern": f"aes-{options.key_bits}-ctr",
        "passes": 1,
        "verify": options.verify,
        "commands": runner.history,
        **common,
    }
    try:
        step = emmc_sanitize.plan(disk.to_dict(), runner)
    except emmc_sanitize.EmmcRefused as exc:
        if options.method == "firmware":
            raise Refused(
                _("{path}: {why}").format(path=disk.path, why=exc.message),
                exc.hint or _("use --method prng or --method zero"),
            ) from exc
        return DiskPlan(
            nist_method="Clear",
            technique="overwrite",
            fallback_reason=exc.message,
            choice_code=exc.code,
            choice_reason=exc.message,
            notes=[_("eMMC erase command not used: {why}").format(why=exc.message)]
            + _overwrite_notes(disk),
            **overwrite,
        )
    notes = [
        _(
            "{technique} first ({commands}), then one overwrite pass that the read-back checks"
        ).format(technique=step.technique, commands="; ".join(" ".join(a) for a in step.argv_list))
    ]
    if step.nist_level != "Purge":
        notes += _overwrite_notes(disk)
    return DiskPlan(
        nist_method=step.nist_level,
        technique=f"{step.technique} + overwrite",
        pre_erase=step,
        choice_code=step.code,
        choice_reason=step.reason,
        notes=notes,
        **overwrite,
    )
