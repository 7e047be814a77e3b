"""Which status moves are allowed, and why a refused one is refused."""

from __future__ import annotations

from typing import Any

from refurb.errors import InvalidInput, Refused
from refurb.i18n import _
from refurb.models import STATUSES
from refurb.projection import missing_for_ready
from refurb.terms import status_word

# Moves a person may make with `refurb status`. Steps (probe, wipe, OS, grade) move a device from
# intake to in_progress on their own, and a failed erasure moves it to quarantine.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "intake": ("in_progress", "parts", "recycled", "quarantine"),
    "in_progress": ("intake", "ready", "parts", "recycled", "quarantine"),
    "ready": ("in_progress", "on_loan", "handed_out", "parts", "recycled", "quarantine"),
    "on_loan": ("ready", "in_progress", "handed_out", "quarantine"),
    "handed_out": ("intake", "in_progress"),
    "parts": ("in_progress", "recycled"),
    "recycled": (),
    "quarantine": ("in_progress", "ready", "parts", "recycled"),
}


# Reached only through the loan book (refurb/loans.py), whose events set them.
LOAN_BOOK_STATUSES = ("on_loan", "handed_out")


def check_move(state: dict[str, Any], target: str) -> None:
    """Raise Refused (saying why) unless the device may move to ``target``."""
    if target not in STATUSES:
        raise InvalidInput(
            _("unknown status {name!r}").format(name=target),
            _("statuses: {names}").format(names=", ".join(STATUSES)),
        )
    current = state.get("status", "intake")
    asset = state.get("asset_id", "")
    if target == current:
        raise Refused(
            _("{asset} is already {status}").format(asset=asset, status=status_word(current))
        )
    if target in LOAN_BOOK_STATUSES or current == "on_loan":
        # The loan book keeps who has the device and until when: a bare status would lose that.
        raise Refused(
            _("{asset} cannot move from {old} to {new} by hand").format(
                asset=asset, old=status_word(current), new=status_word(target)
            ),
            _(
                "lend, hand out and take back with refurb loan out, refurb handout,"
                " refurb loan return"
            ),
        )
    allowed = TRANSITIONS.get(current, ())
    if target not in allowed:
        hint = (
            _("from {status} it can go to {targets}").format(
                status=status_word(current),
                targets=", ".join(allowed),  # typed: the codes
            )
            if allowed
            else _("{status} is final").format(status=status_word(current))
        )
        raise Refused(
            _("{asset} cannot move from {old} to {new}").format(
                asset=asset, old=status_word(current), new=status_word(target)
            ),
            hint,
        )
    if target in ("ready", "on_loan", "handed_out") and current in ("in_progress", "quarantine"):
        missing = missing_for_ready(state)
        if missing:
            raise Refused(
                _("{asset} cannot be {status} yet: it still needs {missing}").format(
                    asset=asset, status=status_word(target), missing="; ".join(missing)
                )
            )


def check_status_names(names: list[str]) -> None:
    for name in names:
        if name not in STATUSES:
            raise InvalidInput(
                _("unknown status {name!r}").format(name=name), "statuses: " + ", ".join(STATUSES)
            )
