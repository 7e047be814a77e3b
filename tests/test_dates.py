"""One date reader for donors' sheets (intake), loans (--due, --as-of) and reports (--since)."""

from __future__ import annotations

from datetime import date

import pytest

from refurb.dates import DateError, parse_date
from refurb.errors import InvalidInput
from refurb.loans import parse_day
from refurb.reports.model import parse_date as report_date

FORMS = ["2026-12-31", "2026/12/31", "31/12/2026", "31-12-2026", "31.12.2026", "31.12.26"]


@pytest.mark.parametrize("text", FORMS)
def test_every_reader_takes_the_same_forms(text):
    assert parse_date(text) == "2026-12-31"
    assert parse_day(text, "--due") == date(2026, 12, 31)
    assert report_date(text, "--since") == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("31/02/2026", "'31/02/2026' is not a real date"),
        ("12/31/2026", "'12/31/2026' is not a real date"),  # month first is never guessed
        ("next june", "'next june' is not a date refurb can read"),
        ("46387", "'46387' is not a date refurb can read"),  # a serial is a sheet's, not typed
    ],
)
def test_typed_options_refuse_in_one_wording(text, words):
    for reader, option in ((parse_day, "--due"), (report_date, "--since")):
        with pytest.raises(InvalidInput) as err:
            reader(text, option)
        assert err.value.message == f"{option}: {words}" + (
            ": write 2026-12-31 or 31/12/2026" if "can read" in words else ""
        )


def test_a_sheet_cell_may_be_a_serial_day_number():
    assert parse_date("46387") == "2026-12-31"
    with pytest.raises(DateError):
        parse_date("31/02/2026")
