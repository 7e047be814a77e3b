"""The loan book: partner organisations, loans and hand-outs to them, returns and retention.

Everything is an event (``partner``, ``loan_out``, ``handout``, ``loan_return``, ``loan_extend``,
``loan_purge``), so loans sync like the rest; ``refurb.loan_fold`` folds them into the
``partners`` and ``loans`` tables. The partner's reference for the person never enters the hashed
log: the event keeps ``sha256(salt + ref)`` and the clear reference with its salt sits in the
``loan_refs`` table, which ``loan purge`` empties for loans returned before a date (see
docs/loans.md for why).
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from refurb.errors import InvalidInput, NotFound, Refused
from refurb.i18n import LANGUAGES, _
from refurb.loan_refs import check_ref, digest, new_salt
from refurb.models import Loan, LoanRef, Partner

if TYPE_CHECKING:
    from refurb.store import Store

CONDITIONS = ("ok", "damaged", "incomplete")
PARTNER_PREFIX = "PT-"


# -- dates ----------------------------------------------------------------------------------------


def parse_day(text: str, option: str = "--due") -> date:
    """A typed day (:func:`refurb.dates.parse_day`: ISO or day-first, 31/12/2026)."""
    from refurb.dates import parse_day as read_day

    return read_day(text, option)


def _future_day(text: str, today: date, option: str = "--due") -> date:
    day = parse_day(text, option)
    if day < today:
        raise InvalidInput(
            _("{option} {day} is in the past (today is {today})").format(
                option=option, day=day.isoformat(), today=today.isoformat()
            )
        )
    return day


# -- partners -------------------------------------------------------------------------------------


def _fold(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


def partner_id(name: str) -> str:
    """One id per partner name on every bench (so two benches adding one partner agree)."""
    key = _fold(name).replace(" ", "")  # "Digi-leen", "digileen" and "DIGI LEEN" are one
    return PARTNER_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:12].upper()


def add_partner(
    store: Store, name: str, contact: str | None = None, lang: str | None = None
) -> Partner:
    clean = " ".join((name or "").split())
    if not clean or not _fold(clean):
        raise InvalidInput(_("a partner needs a name"))
    if len(clean) > 200 or (contact and len(contact) > 200):
        raise InvalidInput(_("partner name and contact fit in 200 characters each"))
    language = (lang or store.env.lang or "nl").lower()[:2]
    if language not in LANGUAGES:
        raise InvalidInput(
            _("--lang {lang!r}: choose nl, fr or en").format(lang=lang),
        )
    pid = partner_id(clean)
    known = store.session.get(Partner, pid)
    if known is not None:
        raise Refused(
            _("{name} is already a partner").format(name=known.name),
            _("see `refurb partner list`"),
        )
    payload = {"partner_id": pid, "name": clean, "contact": contact, "lang": language}
    store.append_subject(pid, "partner", payload)
    partner = store.session.get(Partner, pid)
    assert partner is not None
    return partner


def list_partners(store: Store) -> list[dict[str, Any]]:
    partners = store.session.exec(select(Partner).order_by(Partner.name)).scalars().all()
    out = []
    for p in partners:
        loans = store.session.exec(select(Loan).where(Loan.partner_id == p.id)).scalars().all()
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "contact": p.contact,
                "lang": p.lang,
                "on_loan": sum(1 for x in loans if x.kind == "loan" and not x.returned_at),
                "loans": sum(1 for x in loans if x.kind == "loan"),
                "handed_out": sum(1 for x in loans if x.kind == "handout"),
            }
        )
    return out


def find_partner(store: Store, name: str) -> Partner:
    """The partner called ``name`` (case and accents aside); a near miss says "did you mean"."""
    found = store.session.get(Partner, partner_id(name)) or store.session.get(Partner, name)
    if found is not None:
        return found
    names = list(store.session.exec(select(Partner.name)).scalars())
    close = difflib.get_close_matches(_fold(name), [_fold(n) for n in names], n=3, cutoff=0.6)
    hint = (
        _("did you mean {names}?").format(names=" or ".join(n for n in names if _fold(n) in close))
        if close
        else _("add it first: refurb partner add NAME")
    )
    raise NotFound(_("no partner {name!r}").format(name=name), hint)


# -- loans ----------------------------------------------------------------------------------------


@dataclass
class LoanView:
    """One loan as listed: what `loan list` prints and `--json` gives."""

    loan_id: str
    asset_id: str
    kind: str
    partner: str
    ref: str | None
    programme: str | None
    out_at: str
    due: str | None
    returned_at: str | None
    condition: str | None
    note: str | None
    overdue: bool
    days_overdue: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _today(store: Store) -> date:
    return store.env.now().date()


def open_loan(store: Store, asset_id: str) -> Loan | None:
    stmt = select(Loan).where(
        Loan.asset_id == asset_id, Loan.kind == "loan", Loan.returned_at.is_(None)
    )
    return store.session.exec(stmt).scalars().first()


def _ready_device(store: Store, asset: str, what: str) -> str:
    device = store.get_device(asset)
    if device.status == "ready":
        missing = store.readiness(device.asset_id)  # e.g. a probe since found another disk
        if not missing:
            return device.asset_id
        raise Refused(
            _("{asset} is marked ready but still needs {missing}").format(
                asset=device.asset_id, missing="; ".join(missing)
            )
        )
    if device.status == "on_loan":
        loan = open_loan(store, device.asset_id)
        partner = store.session.get(Partner, loan.partner_id) if loan else None
        raise Refused(
            _("{asset} is already on loan{to}").format(
                asset=device.asset_id,
                to=(" " + _("to {partner}").format(partner=partner.name)) if partner else "",
            ),
            _("return it first: refurb loan return {asset}").format(asset=device.asset_id),
        )
    missing = store.readiness(device.asset_id)
    hint = (
        _("it still needs {missing}").format(missing="; ".join(missing))
        if missing
        else _("mark it ready first: refurb status {asset} ready").format(asset=device.asset_id)
    )
    raise Refused(
        _("{asset} is {status}, not ready: only a ready device can be {what}").format(
            asset=device.asset_id, status=device.status, what=what
        ),
        hint,
    )


def lend(
    store: Store,
    asset: str,
    partner: str,
    ref: str,
    due: str,
    programme: str | None = None,
    accessories: str | None = None,
) -> Loan:
    """Lend a ready device to a partner: refused, with nothing written, on any bad input."""
    clean_ref = check_ref(ref)
    day = _future_day(due, _today(store))
    found = find_partner(store, partner)
    asset_id = _ready_device(store, asset, _("lent"))
    loan_id = str(uuid.uuid4())
    salt = new_salt()
    payload = {
        "loan_id": loan_id,
        "partner_id": found.id,
        "partner": found.name,
        "due": day.isoformat(),
        "programme": (programme or "").strip() or None,
        "accessories": (accessories or "").strip() or None,
        "ref_sha256": digest(clean_ref, salt),
    }
    store.append_subject(
        asset_id, "loan_out", payload, extra=[LoanRef(loan_id=loan_id, ref=clean_ref, salt=salt)]
    )
    loan = store.session.get(Loan, loan_id)
    assert loan is not None
    return loan


def hand_out(store: Store, asset: str, partner: str) -> Loan:
    """Give a ready device to a partner for good."""
    found = find_partner(store, partner)
    asset_id = _ready_device(store, asset, _("handed out"))
    loan_id = str(uuid.uuid4())
    payload = {"loan_id": loan_id, "partner_id": found.id, "partner": found.name}
    store.append_subject(asset_id, "handout", payload)
    loan = store.session.get(Loan, loan_id)
    assert loan is not None
    return loan


def current_loan(store: Store, asset: str) -> Loan:
    """The device's open loan; refused, saying so, when it is not on loan."""
    return _current_loan(store, asset)[1]


def _current_loan(store: Store, asset: str) -> tuple[str, Loan]:
    device = store.get_device(asset)
    loan = open_loan(store, device.asset_id)
    if loan is None:
        raise Refused(
            _("{asset} is not on loan (it is {status})").format(
                asset=device.asset_id, status=device.status
            ),
            _("`refurb loan list` shows the devices on loan"),
        )
    return device.asset_id, loan


def return_loan(store: Store, asset: str, condition: str, note: str | None = None) -> Loan:
    """Take a lent device back: it goes to in_progress and must be erased and checked again."""
    word = (condition or "").strip().lower()
    if word not in CONDITIONS:
        raise InvalidInput(
            _("--condition {value!r}: choose {choices}").format(
                value=condition, choices=", ".join(CONDITIONS)
            )
        )
    asset_id, loan = _current_loan(store, asset)
    payload = {"loan_id": loan.id, "condition": word, "note": (note or "").strip() or None}
    store.append_subject(asset_id, "loan_return", payload)
    return loan


def extend(store: Store, asset: str, due: str) -> Loan:
    day = _future_day(due, _today(store))
    asset_id, loan = _current_loan(store, asset)
    payload = {"loan_id": loan.id, "due": day.isoformat(), "previous_due": loan.due}
    store.append_subject(asset_id, "loan_extend", payload)
    return loan


def _views(store: Store, loans: list[Loan], as_of: date) -> list[LoanView]:
    partners = {p.id: p.name for p in store.session.exec(select(Partner)).scalars()}
    refs = {
        r.loan_id: r.ref
        for r in store.session.exec(
            select(LoanRef).where(LoanRef.loan_id.in_([x.id for x in loans]))
        ).scalars()
    }
    out = []
    for x in loans:
        late = 0
        if x.kind == "loan" and not x.returned_at and x.due:
            late = max(0, (as_of - date.fromisoformat(x.due)).days)
        out.append(
            LoanView(
                loan_id=x.id,
                asset_id=x.asset_id,
                kind=x.kind,
                partner=partners.get(x.partner_id, x.partner_id),
                ref=refs.get(x.id),
                programme=x.programme,
                out_at=x.out_at,
                due=x.due,
                returned_at=x.returned_at,
                condition=x.condition,
                note=x.note,
                overdue=late > 0,
                days_overdue=late,
            )
        )
    return out


def list_loans(
    store: Store,
    *,
    overdue_only: bool = False,
    as_of: str | None = None,
    partner: str | None = None,
    include_closed: bool = False,
) -> list[LoanView]:
    """Loans (open ones unless ``include_closed``), oldest due date first."""
    day = parse_day(as_of, "--as-of") if as_of else _today(store)
    stmt = select(Loan)
    if partner:
        stmt = stmt.where(Loan.partner_id == find_partner(store, partner).id)
    if not include_closed:
        stmt = stmt.where(Loan.kind == "loan", Loan.returned_at.is_(None))
    loans = list(store.session.exec(stmt.order_by(Loan.due, Loan.out_at)).scalars())
    views = _views(store, loans, day)
    return [v for v in views if v.overdue] if overdue_only else views


def current(store: Store, asset_id: str) -> LoanView | None:
    """The device's open loan or its hand-out, for `refurb show`; None when it has neither."""
    stmt = (
        select(Loan)
        .where(Loan.asset_id == asset_id, Loan.returned_at.is_(None))
        .order_by(Loan.out_at.desc())
        .limit(1)
    )
    loan = store.session.exec(stmt).scalars().first()
    return _views(store, [loan], _today(store))[0] if loan else None


def overdue(store: Store, as_of: date | None = None) -> list[LoanView]:
    """Open loans whose due date has passed on ``as_of`` (default today): for `refurb stock`."""
    day = as_of or _today(store)
    stmt = select(Loan).where(
        Loan.kind == "loan", Loan.returned_at.is_(None), Loan.due < day.isoformat()
    )
    return _views(store, list(store.session.exec(stmt.order_by(Loan.due)).scalars()), day)


def purge(store: Store, before: str) -> int:
    """Drop the reference of every loan returned before ``before``; the loans stay counted."""
    day = parse_day(before, "--before")
    if day > _today(store):
        raise InvalidInput(
            _("--before {day} is in the future: only returned loans can be purged").format(
                day=day.isoformat()
            )
        )
    stmt = select(Loan).where(
        Loan.returned_at.is_not(None),
        Loan.returned_at < day.isoformat(),
        Loan.ref_purged_at.is_(None),
    )
    loans = list(store.session.exec(stmt).scalars())
    store.append_many(
        (x.asset_id, "loan_purge", {"loan_id": x.id, "before": day.isoformat()}) for x in loans
    )
    return len(loans)
