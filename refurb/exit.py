"""Every exit status refurb can return, named in one place (as httpie does)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    ERASE_FAILED = 3
    INVENTORY_UNREACHABLE = 4
    CTRL_C = 130
