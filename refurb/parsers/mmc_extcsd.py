"""`mmc extcsd read /dev/mmcblkN` (mmc-utils) -> what an eMMC can do to erase itself.

mmc-utils prints each Extended CSD register as ``Name [FIELD: 0xNN]`` (newer fields as
``Name [FIELD]: 0xNN``) under a banner ``Extended CSD rev 1.R (MMC V)``. The erase facts are in
``SEC_FEATURE_SUPPORT`` (EXT_CSD[231], printed from eMMC 4.41 on), JEDEC JESD84-B51 7.4.98:

- bit 6 ``SEC_SANITIZE``: the Sanitize operation (physically removes unmapped data; Purge);
- bit 4 ``SEC_GB_CL_EN``: secure and insecure TRIM;
- bit 2 ``SEC_BD_BLK_EN``: defective blocks are erased when retired;
- bit 0 ``SECURE_ER_EN``: Secure Erase / Secure TRIM (what ``blkdiscard --secure`` uses).

Result (``None`` where the text does not say)::

    {"ext_csd_rev": 8, "mmc_version": "5.1", "sec_feature_support": 0x55,
     "sanitize": True, "secure_erase": True, "secure_trim": True, "defective_block_erase": True,
     "sector_count": 120832000, "size_bytes": 61865984000, "erased_memory_content": 0,
     "sec_erase_mult": None, "sec_trim_mult": None, "warnings": []}

Pure: text in, facts out; empty or garbled text gives ``None`` facts and a warning.
"""

from __future__ import annotations

import re
from typing import Any

SANITIZE_BIT = 0x40
SECURE_TRIM_BIT = 0x10  # SEC_GB_CL_EN
DEFECTIVE_BLOCK_BIT = 0x04  # SEC_BD_BLK_EN
SECURE_ERASE_BIT = 0x01  # SECURE_ER_EN

_BANNER = re.compile(r"Extended CSD rev 1\.(\d+)\s*\(MMC ([\d.]+)\)")
_FIELD = re.compile(r"\[([A-Z][A-Z0-9_]*)(?::\s*|\]:\s*)(0x[0-9a-fA-F]+)\]?")


def registers(text: str) -> dict[str, int]:
    """Every ``[FIELD: 0xNN]`` / ``[FIELD]: 0xNN`` value printed, by field name (first wins)."""
    out: dict[str, int] = {}
    for match in _FIELD.finditer(text or ""):
        out.setdefault(match.group(1), int(match.group(2), 16))
    return out


def parse(text: str) -> dict[str, Any]:
    """The erase facts of one ``mmc extcsd read`` output (see the module docstring)."""
    result: dict[str, Any] = {
        "ext_csd_rev": None,
        "mmc_version": None,
        "sec_feature_support": None,
        "sanitize": None,
        "secure_erase": None,
        "secure_trim": None,
        "defective_block_erase": None,
        "sector_count": None,
        "size_bytes": None,
        "erased_memory_content": None,
        "sec_erase_mult": None,
        "sec_trim_mult": None,
        "warnings": [],
    }
    banner = _BANNER.search(text or "")
    if banner is None:
        result["warnings"].append("no 'Extended CSD rev' banner: not mmc extcsd read output")
        return result
    result["ext_csd_rev"] = int(banner.group(1))
    result["mmc_version"] = banner.group(2)
    regs = registers(text)
    support = regs.get("SEC_FEATURE_SUPPORT")
    if support is None:
        # mmc-utils prints it from rev 5 (eMMC 4.41); before that the secure features do not exist.
        result["warnings"].append("SEC_FEATURE_SUPPORT not printed (eMMC older than 4.41?)")
        if result["ext_csd_rev"] < 5:
            result.update(sanitize=False, secure_erase=False, secure_trim=False)
    else:
        result["sec_feature_support"] = support
        result["sanitize"] = bool(support & SANITIZE_BIT)
        result["secure_trim"] = bool(support & SECURE_TRIM_BIT)
        result["defective_block_erase"] = bool(support & DEFECTIVE_BLOCK_BIT)
        result["secure_erase"] = bool(support & SECURE_ERASE_BIT)
    sectors = regs.get("SEC_COUNT")
    if sectors:
        result["sector_count"] = sectors
        result["size_bytes"] = sectors * 512  # block-addressed eMMC (> 2 GB): 512-byte sectors
    result["erased_memory_content"] = regs.get("ERASED_MEM_CONT")
    result["sec_erase_mult"] = regs.get("SEC_ERASE_MULT")
    result["sec_trim_mult"] = regs.get("SEC_TRIM_MULT")
    return result
