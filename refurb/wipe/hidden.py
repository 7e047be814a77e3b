"""Hidden areas of an ATA disk: what a Host Protected Area or Device Configuration Overlay hides.

An overwrite reaches only the sectors a drive reports; older business laptops hid a recovery
partition in an HPA, and a DCO can hide more. Before an ATA disk is erased, ``read(disk, runner)``
asks `hdparm -N` (visible and native max sectors) and `hdparm --dco-identify` (the size without the
DCO). Every disk gets a finding for its record and certificate:

- ``found``: sectors are hidden (``hpa_bytes`` and/or ``dco_bytes``);
- ``not_found``: the drive answered and hides nothing;
- ``not_applicable``: NVMe, eMMC, loop, device-mapper... (no HPA/DCO exists there);
- ``could_not_be_read``: hdparm is missing or the drive (or its USB bridge) gave no usable answer.

With the operator's consent the HPA is lifted for the erasure by a *volatile* `hdparm -N NATIVE`
(lost at the drive's next reset, so its permanent setting is untouched) and, on request, set back
to what it was right after. A DCO is never changed here (`--dco-restore` is irreversible).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from refurb.parsers import hdparm as hdparm_parser
from refurb.runner import CommandResult, Runner

FINDINGS = ("found", "not_found", "not_applicable", "could_not_be_read")
ATA_PROTOCOLS = ("ATA", "SATA", "USB")


@dataclass
class HiddenArea:
    """What the drive hides, and what was done about it during the erasure."""

    finding: str
    device: str | None = None
    sector_size: int = 512
    current_sectors: int | None = None
    native_sectors: int | None = None
    dco_real_sectors: int | None = None
    hpa_sectors: int = 0
    dco_sectors: int = 0
    why: str | None = None
    unlock: bool = False  # the operator agreed to lift the HPA for the erasure
    restore: bool = False  # ... and to set it back afterwards
    unlocked: bool = False
    restored: bool | None = None
    unlock_error: str | None = None
    commands: list[CommandResult] = field(default_factory=list)

    @property
    def hpa_bytes(self) -> int:
        return self.hpa_sectors * self.sector_size

    @property
    def dco_bytes(self) -> int:
        return self.dco_sectors * self.sector_size

    def remaining_bytes(self) -> int:
        """Bytes the erasure did not reach: the DCO always, the HPA unless it was lifted."""
        return self.dco_bytes + (0 if self.unlocked else self.hpa_bytes)

    def unlock_argv(self) -> list[str] | None:
        if not self.device or not self.hpa_sectors or self.native_sectors is None:
            return None
        # No "p" before the number: a volatile setting, lost at the next reset.
        return ["hdparm", "--yes-i-know-what-i-am-doing", "-N", str(self.native_sectors),
                self.device]  # fmt: skip

    def restore_argv(self) -> list[str] | None:
        if not self.device or not self.hpa_sectors or self.current_sectors is None:
            return None
        return ["hdparm", "--yes-i-know-what-i-am-doing", "-N", str(self.current_sectors),
                self.device]  # fmt: skip

    def statement(self) -> str:
        """One English sentence for the record."""
        if self.finding == "not_applicable":
            return f"not applicable: {self.why}"
        if self.finding == "could_not_be_read":
            return f"could not be read: {self.why}"
        if self.finding == "not_found":
            return "no hidden area: hdparm -N and --dco-identify show every sector visible"
        parts = []
        if self.hpa_sectors:
            done = (
                "lifted for the erasure" + (" and set back afterwards" if self.restored else "")
                if self.unlocked
                else "not erased" + (f" ({self.unlock_error})" if self.unlock_error else "")
            )
            parts.append(
                f"a Host Protected Area hides {self.hpa_sectors} sectors "
                f"({self.hpa_bytes} bytes): {done}"
            )
        if self.dco_sectors:
            parts.append(
                f"a Device Configuration Overlay hides {self.dco_sectors} sectors "
                f"({self.dco_bytes} bytes): not erased (refurb never changes a DCO)"
            )
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("commands")
        data.update(
            hpa_bytes=self.hpa_bytes,
            dco_bytes=self.dco_bytes,
            remaining_bytes=self.remaining_bytes(),
            statement=self.statement(),
        )
        return data


def applies_to(disk: Any) -> str | None:
    """None when the disk can have an HPA/DCO; else why not (for ``not_applicable``)."""
    protocol = str(getattr(disk, "protocol", None) or "").upper()
    name = str(getattr(disk, "name", "") or "")
    if protocol in ATA_PROTOCOLS:
        return None
    if protocol == "NVME" or name.startswith("nvme"):
        return "an NVMe drive has no HPA or DCO"
    if name.startswith("mmcblk") or protocol in ("MMC", "SD"):
        return "eMMC and SD storage have no HPA or DCO"
    if protocol in ("LOOP", "DEVICE-MAPPER", "VIRTIO") or name.startswith(("loop", "dm-")):
        return f"a {protocol.lower() or 'virtual'} device has no HPA or DCO"
    return f"{protocol or 'this bus'} carries no ATA commands"


def read(disk: Any, runner: Runner) -> HiddenArea:
    """Ask the drive what it hides; never raises."""
    sector = int(getattr(disk, "logical_sector_size", None) or 512)
    why = applies_to(disk)
    path = getattr(disk, "path", None)
    if why is not None:
        return HiddenArea("not_applicable", path, sector, why=why)
    if runner.which("hdparm") is None:
        return HiddenArea("could_not_be_read", path, sector, why="hdparm is not installed")
    area = HiddenArea("could_not_be_read", path, sector)
    res = runner.run(["hdparm", "-N", path])
    area.commands.append(res)
    hpa = hdparm_parser.parse_max_sectors(res.stdout + "\n" + res.stderr)
    if not res.ok or not hpa["valid"]:
        detail = (hpa["warnings"] or [(res.stderr or "").strip()])[0]
        area.why = f"hdparm -N exited {res.returncode}: {detail}" if detail else "no answer"
        return area
    area.current_sectors, area.native_sectors = hpa["current"], hpa["native"]
    area.hpa_sectors = int(hpa["hidden_sectors"] or 0)
    dco_res = runner.run(["hdparm", "--dco-identify", path])
    area.commands.append(dco_res)
    dco = hdparm_parser.parse_dco(dco_res.stdout)
    if dco_res.ok and dco["valid"]:
        area.dco_real_sectors = dco["real_max_sectors"]
        area.dco_sectors = max(0, int(dco["real_max_sectors"]) - int(hpa["native"]))
    elif dco_res.ok and "not supported" in (dco_res.stdout + dco_res.stderr).lower():
        pass  # no DCO feature set: nothing can hide behind one
    else:
        area.why = "hdparm --dco-identify gave no usable answer, so a DCO cannot be ruled out"
        if not area.hpa_sectors:
            return area
    area.finding = "found" if (area.hpa_sectors or area.dco_sectors) else "not_found"
    return area


def lift(area: HiddenArea, runner: Runner) -> bool:
    """Lift the HPA (volatile) and check that the drive now shows every native sector."""
    argv = area.unlock_argv()
    if argv is None:
        return False
    res = runner.run(argv)
    area.commands.append(res)
    check = runner.run(["hdparm", "-N", str(area.device)])
    area.commands.append(check)
    now = hdparm_parser.parse_max_sectors(check.stdout)
    if res.ok and check.ok and now["valid"] and now["current"] == area.native_sectors:
        area.unlocked = True
        return True
    detail = (res.stderr or res.stdout).strip().splitlines()
    area.unlock_error = (
        f"the drive refused to lift it: {' '.join(argv[:4])} exited {res.returncode}"
        + (f": {detail[-1]}" if detail and not res.ok else "")
        if not res.ok
        else "after hdparm -N the drive still hides sectors"
    )
    return False


def put_back(area: HiddenArea, runner: Runner) -> bool:
    """Set the visible size back to what it was before :func:`lift`."""
    argv = area.restore_argv()
    if argv is None or not area.unlocked:
        return False
    res = runner.run(argv)
    area.commands.append(res)
    area.restored = res.ok
    return res.ok
