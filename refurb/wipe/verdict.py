"""What an erasure outcome may claim, checked once against everything the disk answered.

The engine decides a status step by step; :func:`outcome_contradiction` is the last word before
the record is written: a status of ``erased`` or ``erased_with_exceptions`` that any recorded
error, missing byte or failed check contradicts becomes ``failed``. Every path through the
engine ends here, so no error reported anywhere (a write, a short write, the flush, the close, a
read-back) can be lost on the way to the record.

:func:`scope` says, for the record and the certificate, what the verification can and cannot
prove: only a full read-back catches a write lost silently below refurb.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from refurb.i18n import _
from refurb.i18n import _ as translate

if TYPE_CHECKING:
    from refurb.wipe.engine import DiskEraser

OK_STATUSES = ("erased", "erased_with_exceptions")
SCOPES = ("full", "sample", "firmware_sample", "off", "not_done")


def outcome_contradiction(eraser: DiskEraser, status: str) -> str | None:
    """Why ``status`` cannot stand given what was recorded; None when it can."""
    if status not in OK_STATUSES:
        return None
    hard = [e for e in eraser.errors if not e.recovered]
    if hard:
        first = hard[0]
        return _("a {op} error ({err}) at offset {offset} was recorded").format(
            op=first.op, err=first.errno, offset=first.offset
        )
    checks = [c for c in (eraser.verification, eraser.extra_checks) if c is not None]
    for check in checks:
        if not check.passed:
            return _("the read-back did not pass")
    if eraser.plan.method == "firmware":
        if eraser.verification is None:
            return _("the firmware erase was not checked")
        return None
    size = eraser.device_size
    if size is None:
        return _("the disk was never opened")
    if eraser.bytes_written != size - eraser.unaddressable:
        return _("{done} of {size} bytes were written").format(
            done=eraser.bytes_written, size=size - eraser.unaddressable
        )
    if status == "erased":
        if eraser.verification is None or eraser.options.verify == "off":
            return _("nothing was read back")
        if eraser.unaddressable or any(e.recovered for e in eraser.errors):
            return _("the erasure has exceptions")
    return None


def hidden_exception(eraser: DiskEraser, status: str, reason: str | None) -> tuple[str, str | None]:
    """``erased`` cannot stand while a hidden area (HPA not lifted, DCO) kept sectors from the
    erasure: it becomes ``erased_with_exceptions`` with the hidden size stated."""
    hidden = eraser.plan.hidden
    left = hidden.remaining_bytes() if hidden is not None else 0
    if status not in OK_STATUSES or not left:
        return status, reason
    why = _("{n} bytes in a hidden area (HPA/DCO) were not erased").format(n=left)
    return "erased_with_exceptions", "; ".join(x for x in (reason, why) if x)


def scope_code(mode: str | None, result: str | None = None) -> str:
    """The scope of a verification from its mode as records spell it."""
    text = str(mode or "").lower()
    if result == "not done" or not text:
        return "not_done" if text and text != "off" else "off"
    if text.startswith("sample (before/after") or text.startswith("firmware"):
        return "firmware_sample"
    if text.startswith("sample"):
        return "sample"
    if text == "full":
        return "full"
    return "off"


def _as_written(message: str) -> str:
    return message


def scope_statement(code: str, fraction: float | None = None, *, english: bool = False) -> str:
    """What a verification of this scope proves and does not prove, in the active language
    (in English with ``english``, for the record, without touching the language of others)."""
    _ = _as_written if english else translate
    if code == "full":
        return _(
            "Every byte was read back from the disk after writing and compared with what was "
            "written: this also catches writes lost silently below refurb (a disk or driver "
            "that reports success without storing the data)."
        )
    if code == "sample":
        pct = f"{fraction * 100:.1f} %" if isinstance(fraction, int | float) else _("a part")
        return _(
            "Only {pct} of the disk (random places, plus its first and last MiB) was read back "
            "and compared. This shows the disk stores what was written where it was read; it "
            "cannot prove it for the rest: a write lost silently below refurb (a disk or driver "
            "that reports success without storing the data) is caught only by a full read-back "
            "(--verify full)."
        ).format(pct=pct)
    if code == "firmware_sample":
        return _(
            "A sample of the disk was read before and after the firmware erase: every sampled "
            "block changed or reads as blank. Blocks outside the sample were not read."
        )
    if code == "not_done":
        return _("Nothing was read back: the erasure stopped before its verification.")
    return _(
        "Nothing was read back: it is not shown that the disk stores what was written, nor "
        "that a write was not lost silently below refurb."
    )


def scope(verification: Mapping[str, Any]) -> dict[str, Any]:
    """The ``scope`` entry of a record's verification: a code and the statement in English
    (the certificate shows it again in its own language from the code)."""
    code = scope_code(verification.get("mode"), verification.get("result"))
    statement = scope_statement(code, verification.get("fraction"), english=True)
    return {"code": code, "statement": statement, "catches_silent_write_loss": code == "full"}
