"""Every exit status refurb can return, named in one place (as httpie does)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    ERASE_FAILED = 3
    INVENTORY_UNREACHABLE = 4
    CTRL_C = 130  # SIGINT: 128 + 2
    TERMINATED = 143  # SIGTERM: 128 + 15 (a wipe stopped by the system or a supervisor)
