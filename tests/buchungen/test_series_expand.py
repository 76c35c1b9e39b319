"""Expanding a series' rule in Berlin wall-clock time: frequencies, ends, limits and invalid rules."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from buchungen.series import MAX_OCCURRENCES, localise, normalise_rrule, series_expand
from tests.buchungen.conftest import BERLIN, at


def wall(*parts: int) -> datetime:
    """A naive Berlin wall-clock time, as the expansion yields them."""
    return datetime(*parts, tzinfo=BERLIN).replace(tzinfo=None)


def expand(rule: str, start=None, end=None) -> list[tuple[datetime, datetime]]:
    start = start or at(2, 18)  # Tuesday 2 June 2026
    end = end or start.replace(hour=start.hour + 2)
    return [(d.start, d.end) for d in series_expand(start=start, end=end, rrule=rule)]


def starts(rule: str, start=None) -> list[str]:
    return [f"{s:%Y-%m-%d %H:%M}" for s, _e in expand(rule, start)]


def rule_error(rule: str, start=None) -> str:
    with pytest.raises(ValidationError) as excinfo:
        expand(rule, start)
    assert set(excinfo.value.message_dict) == {"rrule"}
    return excinfo.value.message_dict["rrule"][0]


def test_weekly_keeps_the_wall_clock_time_and_length():
    assert expand("FREQ=WEEKLY;COUNT=3") == [
        (wall(2026, 6, 2, 18), wall(2026, 6, 2, 20)),
        (wall(2026, 6, 9, 18), wall(2026, 6, 9, 20)),
        (wall(2026, 6, 16, 18), wall(2026, 6, 16, 20)),
    ]


def test_every_two_weeks():
    assert starts("FREQ=WEEKLY;INTERVAL=2;COUNT=3") == [
        "2026-06-02 18:00",
        "2026-06-16 18:00",
        "2026-06-30 18:00",
    ]


def test_weekly_on_several_weekdays():
    assert starts("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4") == [
        "2026-06-02 18:00",
        "2026-06-04 18:00",
        "2026-06-09 18:00",
        "2026-06-11 18:00",
    ]


def test_monthly_on_the_second_tuesday():
    assert starts("FREQ=MONTHLY;BYDAY=2TU;COUNT=3", at(9, 18)) == [
        "2026-06-09 18:00",
        "2026-07-14 18:00",
        "2026-08-11 18:00",
    ]


def test_monthly_on_the_last_friday():
    assert starts("FREQ=MONTHLY;BYDAY=-1FR;COUNT=4", at(26, 10)) == [
        "2026-06-26 10:00",
        "2026-07-31 10:00",
        "2026-08-28 10:00",
        "2026-09-25 10:00",
    ]


def test_monthly_by_day_of_the_month():
    assert starts("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=2", at(15, 9)) == ["2026-06-15 09:00", "2026-07-15 09:00"]


def test_daily():
    assert starts("FREQ=DAILY;COUNT=2") == ["2026-06-02 18:00", "2026-06-03 18:00"]


def test_until_a_day_includes_that_day_and_gives_the_same_dates_as_count():
    by_until = starts("FREQ=WEEKLY;UNTIL=20260630")
    assert by_until == starts("FREQ=WEEKLY;COUNT=5")
    assert by_until[-1] == "2026-06-30 18:00"


def test_until_a_day_before_the_last_date_leaves_it_out():
    assert starts("FREQ=WEEKLY;UNTIL=20260629")[-1] == "2026-06-23 18:00"


def test_until_in_utc_is_converted_to_berlin_time():
    # 16:00 UTC on 30 June is 18:00 in Berlin: the date at 18:00 is included, one at 18:01 would not be.
    assert starts("FREQ=WEEKLY;UNTIL=20260630T160000Z")[-1] == "2026-06-30 18:00"
    assert starts("FREQ=WEEKLY;UNTIL=20260630T155959Z")[-1] == "2026-06-23 18:00"


def test_a_leading_rrule_prefix_and_lower_case_are_accepted():
    assert normalise_rrule(" rrule:freq=weekly;count=2 ")[0] == "FREQ=WEEKLY;COUNT=2"
    assert len(starts("RRULE:FREQ=WEEKLY;COUNT=2")) == 2


def test_at_most_one_hundred_dates():
    assert len(starts(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}")) == MAX_OCCURRENCES
    assert "at most 100" in rule_error("FREQ=DAILY;COUNT=101")
    assert "at most 100" in rule_error("FREQ=DAILY;UNTIL=20270601")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "Enter a recurrence rule"),
        ("FREQ=WEEKLY", "either COUNT"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20260701", "either COUNT"),
        ("FREQ=YEARLY;COUNT=3", "FREQ must be"),
        ("FREQ=HOURLY;COUNT=3", "FREQ must be"),
        ("COUNT=3", "FREQ must be"),
        ("FREQ=WEEKLY;COUNT=3;BYHOUR=10", "BYHOUR"),
        ("FREQ=WEEKLY;COUNT=3;BYMINUTE=5", "BYHOUR"),
        ("DTSTART:20260602T180000\nRRULE:FREQ=WEEKLY;COUNT=3", "first date sets the start"),
        ("FREQ=WEEKLY;COUNT=3;DTSTART=20260602T180000", "first date sets the start"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT must be"),
        ("FREQ=WEEKLY;COUNT=x", "COUNT must be"),
        ("FREQ=WEEKLY;INTERVAL=0;COUNT=3", "INTERVAL must be"),
        ("FREQ=WEEKLY;BYDAY=2TU;COUNT=3", "needs FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=6TU;COUNT=3", "1 to 5"),
        ("FREQ=MONTHLY;BYDAY=XX;COUNT=3", "BYDAY takes"),
        ("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3", "BYMONTHDAY takes"),
        ("FREQ=WEEKLY;BYMONTHDAY=3;COUNT=3", "cannot be combined"),
        ("FREQ=WEEKLY;UNTIL=2026-07-01", "UNTIL must be"),
        ("FREQ=WEEKLY;UNTIL=20261340", "not a valid date"),
        ("FREQ=WEEKLY;COUNT=3;BYSETPOS=1", "cannot be used"),
        ("FREQ=WEEKLY;COUNT=3;COUNT=4", "twice"),
        ("FREQ=WEEKLY;COUNT", "NAME=VALUE"),
        ("FREQ=WEEKLY;UNTIL=20260501", "no date"),
    ],
)
def test_invalid_rules_are_refused_on_the_rrule_field(rule, message):
    assert message in rule_error(rule)


def test_a_series_keeps_18_00_across_both_clock_changes_of_2025():
    dates = series_expand(
        start=datetime(2025, 3, 4, 18, tzinfo=BERLIN),
        end=datetime(2025, 3, 4, 20, tzinfo=BERLIN),
        rrule="FREQ=WEEKLY;UNTIL=20251125",
    )
    assert {(d.start.hour, d.end.hour) for d in dates} == {(18, 20)}
    utc_hours = [localise(d.start).hour for d in dates]
    assert utc_hours[:4] == [17, 17, 17, 17]  # 4, 11, 18, 25 March: winter time
    assert utc_hours[4] == 16  # 1 April: summer time
    assert utc_hours[-5:] == [17] * 5  # from 28 October: winter time again
    assert set(utc_hours) == {16, 17}


def test_a_skipped_wall_clock_time_has_no_instant_and_a_repeated_one_is_the_first():
    assert localise(wall(2025, 3, 30, 2, 30)) is None
    assert localise(wall(2025, 3, 30, 3, 0)).hour == 1
    # 02:30 happens twice on 26 October 2025: first in summer time (00:30 UTC), then in winter time.
    assert localise(wall(2025, 10, 26, 2, 30)) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
