"""Why an erasure used its method, in the reader's language: one sentence for `refurb show`,
the certificate's PDF and anyone else who prints it.

The plan decides (``DiskPlan.choice()``: requested, method, technique, nist_method, a ``code``
and the planner's own reason); the ``wipe`` event carries it typed (``refurb.events.MethodChoice``)
and the record repeats it as ``method_choice``. Here the code becomes words; the planner's
reason (the tool's facts: "SEC_FEATURE_SUPPORT 0x55, bit 6") follows it unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from refurb.i18n import _


def choice_of(payload: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The method choice of a ``wipe`` payload (or its record); None when it says none."""
    if not isinstance(payload, Mapping):
        return None
    choice = payload.get("choice")
    if not isinstance(choice, Mapping):
        record = payload.get("record")
        choice = record.get("method_choice") if isinstance(record, Mapping) else None
    if not isinstance(choice, Mapping):
        choice = payload.get("method_choice")
    return dict(choice) if isinstance(choice, Mapping) and choice.get("code") else None


def _method_word(choice: Mapping[str, Any]) -> str:
    from refurb.terms import method_word

    return method_word(str(choice.get("technique") or choice.get("method") or "?"))


def choice_headline(choice: Mapping[str, Any]) -> str:
    """What was chosen and why, in a few words, without the planner's technical reason."""
    code = choice.get("code")
    method = _method_word(choice)
    requested = choice.get("requested") or "auto"
    words = {
        "requested": _("{method}, as asked with --method {requested}"),
        "firmware": _("{method}: the drive's own erase, chosen by auto as safe and supported"),
        "firmware_refused": _("{method}: auto found no usable firmware erase"),
        "no_firmware_erase": _("{method}: this kind of disk has no firmware erase"),
        "emmc_sanitize": _("{method}: the eMMC's Sanitize, then one overwrite pass"),
        "emmc_secure_erase": _("{method}: the eMMC's Secure Erase, then one overwrite pass"),
        "emmc_no_secure_feature": _(
            "{method}: the eMMC has neither Sanitize nor Secure Erase, so one overwrite pass"
        ),
        "emmc_unreadable": _(
            "{method}: the eMMC's erase features could not be read, so one overwrite pass"
        ),
    }
    text = words.get(str(code), "{method}")
    return text.format(method=method, requested=requested)


def choice_sentence(choice: Mapping[str, Any] | None) -> str | None:
    """The headline and the planner's reason after it; None when there is no choice."""
    if not choice or not choice.get("code"):
        return None
    head = choice_headline(choice)
    reason = choice.get("reason")
    if reason and choice.get("code") != "requested":
        return _("{headline} ({reason})").format(headline=head, reason=reason)
    return head
