"""What an erasure outcome may claim, checked once against everything the disk answered.

The engine decides a status step by step; :func:`outcome_contradiction` is the last word before
the record is written: a status of ``erased`` or ``erased_with_exceptions`` that any recorded
error, missing byte or failed check contradicts becomes ``failed``. Every path through the
engine ends here, so no error reported anywhere (a write, a short write, the flush, the close, a
read-back) can be lost on the way to the record.

:func:`erased_shortfalls` is the same rule asked of a stored record (refurb's own or an imported
nwipe log): the store refuses a ``wipe`` event saying ``erased`` that it does not prove, and
:func:`outcome_contradiction` asks it too before the engine lets ``erased`` stand.

:func:`scope` says, for the record and the certificate, what the verification can and cannot
prove: only a full read-back catches a write lost silently below refurb.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from refurb.i18n import _, ngettext
from refurb.i18n import _ as translate


class Erasure(Protocol):
    """What the verdict and the record read of an eraser (``refurb.wipe.engine.DiskEraser``):
    named here so that neither imports the engine that calls them."""

    plan: Any
    ctx: Any
    options: Any
    runner: Any
    errors: list[Any]
    verification: Any
    extra_checks: Any
    pattern: Any
    device_size: int | None
    unaddressable: int
    bytes_written: int
    write_seconds: float
    request: int | None
    depth: int | None
    queue_limits: dict[str, int]
    direct: bool


OK_STATUSES = ("erased", "erased_with_exceptions")
SCOPES = ("full", "sample", "firmware_sample", "off", "not_done")


def outcome_contradiction(eraser: Erasure, status: str) -> str | None:
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
        if any(e.recovered for e in eraser.errors):
            return _("the erasure has exceptions")
        # The store's rule on the record, asked of what the eraser saw (unaddressable tail
        # bytes count as not written).
        shortfalls = erased_shortfalls(
            {
                "method": eraser.plan.method,
                "errors": eraser.errors,
                "device_size_bytes": size,
                "bytes_written": eraser.bytes_written,
                "verification": {"passed": eraser.verification.passed},
            }
        )
        if shortfalls:
            return "; ".join(shortfalls)
    return None


def hidden_exception(eraser: Erasure, status: str, reason: str | None) -> tuple[str, str | None]:
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


# -- when a record proves an erasure --------------------------------------------------------------


def erased_shortfalls(record: Mapping[str, Any], disk_size: int | None = None) -> list[str]:
    """What keeps ``record`` from proving ``erased``; empty when it does.

    The one rule every ``erased`` result must pass (the store refuses a ``wipe`` event saying
    ``erased`` otherwise): no I/O error anywhere, every byte of the disk written, and a
    verification that passed. A firmware erase is written by the disk itself; its proof is the
    read-back that compares sampled blocks before and after, so its byte count is not asked.
    Works on refurb's own records and on imported nwipe records; ``disk_size`` is the size the
    event gives for the disk, used when the record does not say it.
    """
    missing: list[str] = []
    errors = record.get("errors") or []
    count = record.get("error_count")
    n_errors = max(len(errors), count if isinstance(count, int) else 0)
    if n_errors:
        missing.append(
            ngettext("{n} I/O error recorded", "{n} I/O errors recorded", n_errors).format(
                n=n_errors
            )
        )
    if record.get("method") != "firmware":
        media = record.get("media") or {}
        size = record.get("device_size_bytes") or media.get("size_bytes") or disk_size
        written = record.get("bytes_written")
        if not isinstance(size, int) or size <= 0:
            missing.append(_("the record does not say the disk's size"))
        elif not isinstance(written, int) or written < size:
            missing.append(
                _("{written} of {size} bytes written").format(written=written or 0, size=size)
            )
    verification = record.get("verification") or {}
    if verification.get("result") != "passed" and verification.get("passed") is not True:
        failed = verification.get("result") == "failed" or verification.get("passed") is False
        missing.append(_("the verification failed") if failed else _("no verification passed"))
    return missing
