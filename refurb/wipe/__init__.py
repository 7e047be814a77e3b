"""The erasure engine: disk discovery and safety, overwrite and firmware erase, verification,
and the NIST SP 800-88 record of each disk.

Modules:
  ``discovery``  lsblk / smartctl / mounts -> disks and why each may or may not be erased
  ``patterns``   zeros and the re-seedable AES-CTR keystream
  ``blockio``    O_DIRECT, aligned buffers, the filler thread
  ``verify``     full and sampled read-back, firmware before/after checks
  ``plan``       one disk: the method, the hidden areas, the steps
  ``engine``     one disk: erase (``overwrite``: the overwrite pass), verify, outcome
  ``record``     the erasure record and crash bookkeeping
  ``session``    a run over several disks with its events in the store
  ``image``      a disk image (a regular file) erased by the same engine, never a real disk

The core never prints; progress goes through a callback and errors are ``refurb.errors``.
"""

from refurb.wipe.discovery import Blocker, Disk
from refurb.wipe.plan import (
    METHODS,
    STATUSES,
    VERIFY_MODES,
    DiskPlan,
    Progress,
    StopFlag,
    WipeOptions,
    plan_disk,
)
from refurb.wipe.session import (
    DiskResult,
    Preparation,
    close_dangling,
    execute,
    list_disks,
    list_disks_hidden,
    prepare,
    stop_on_signals,
)

__all__ = [
    "METHODS",
    "STATUSES",
    "VERIFY_MODES",
    "Blocker",
    "Disk",
    "DiskPlan",
    "DiskResult",
    "Preparation",
    "Progress",
    "StopFlag",
    "WipeOptions",
    "close_dangling",
    "execute",
    "list_disks",
    "list_disks_hidden",
    "plan_disk",
    "prepare",
    "stop_on_signals",
]
