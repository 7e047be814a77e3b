"""Erasing a disk image: a regular file, never a real disk.

`refurb demo` erases a small image through the same engine and verification as a disk when it
cannot attach a loop device (no root). The image is a :class:`Disk` of type ``image`` whose
record says ``disk image (regular file)``; a block or character device is refused here, so this
path can never reach a real disk. Before writing, the open file must still be the planned one
(same device and inode), as a disk must still be the confirmed one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from refurb.errors import NotFound, Refused
from refurb.i18n import _
from refurb.runner import Runner
from refurb.wipe.discovery import Disk
from refurb.wipe.plan import Preparation, WipeOptions, plan_disk

IMAGE_TYPE = "image"
IMAGE_MEDIA = "disk image (regular file)"


def _file_id(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}"


def image_disk(path: Path) -> Disk:
    """The image at ``path`` as a disk: refused unless it is a non-empty regular file."""
    path = path.absolute()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise NotFound(_("{path}: no such image file").format(path=path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise Refused(
            _("{path} is not a regular file: only an image file is erased this way").format(
                path=path
            ),
            _("erase disks with: refurb wipe run DEVICE"),
        )
    if st.st_size == 0:
        raise Refused(_("{path} is empty: there is nothing to erase").format(path=path))
    return Disk(
        name=path.name,
        path=str(path),
        kname=path.name,
        type=IMAGE_TYPE,
        maj_min=_file_id(st),
        size_bytes=st.st_size,
        model=IMAGE_MEDIA,
        protocol="image",
        media_type=IMAGE_MEDIA,
        backing_file=str(path),
        rotational=None,
    )


def prepare_image(path: Path, options: WipeOptions, runner: Runner) -> Preparation:
    """The plan for erasing one image file (an overwrite: a file has no firmware erase)."""
    options.check()
    disk = image_disk(path)
    plan = plan_disk(disk, options, runner)
    plan.notes.append(
        _("{path} is a disk image (a regular file), not a disk").format(path=disk.path)
    )
    return Preparation([plan])


def check_same_image(planned: Disk, fd: int) -> None:
    """Refuse to write when the open file is not the planned image (replaced, or a device)."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or _file_id(st) != planned.maj_min:
        raise Refused(
            _("{path} is no longer the planned image file: nothing was written").format(
                path=planned.path
            )
        )
