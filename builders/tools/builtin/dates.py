"""Dates and calendars: date arithmetic, facts about a date, business days, month calendars."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Literal

from builders.tools.pyfuncs import tool

@tool("1", description=(
    "Date arithmetic on ISO dates (YYYY-MM-DD): give `start` and `days` to get the date that many days "
    "later (negative for earlier) and its weekday, or `start` and `end` to count the days between them."),
    params={"start": {"format": "date", "description": "YYYY-MM-DD"},
            "days": {"minimum": -100000, "maximum": 100000},
            "end": {"format": "date", "description": "YYYY-MM-DD"}},
    examples=[{"arguments": {"start": "2024-02-27", "days": 3},
               "result": {"start": "2024-02-27", "days_added": 3, "date": "2024-03-01", "weekday": "Friday"}}])
def date_arithmetic(start: str, days: int = 0, end: str | None = None) -> dict:
    """Add days to a date, or count the days between two dates (ISO YYYY-MM-DD)."""
    try:
        first = dt.date.fromisoformat(start)
        last = dt.date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise ValueError(f"dates must be YYYY-MM-DD: {exc}") from exc
    if last is not None:
        delta = (last - first).days
        return {"start": first.isoformat(), "end": last.isoformat(), "days_between": delta,
                "weeks_between": round(delta / 7, 3)}
    try:
        result = first + dt.timedelta(days=days)
    except OverflowError as exc:
        raise ValueError("resulting date is out of range") from exc
    return {"start": first.isoformat(), "days_added": days, "date": result.isoformat(),
            "weekday": result.strftime("%A")}


def _date(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a date YYYY-MM-DD, not {text!r}") from None


@tool("1", params={"date": {"format": "date"}})
def date_info(date: str) -> dict:
    """Facts about a date: weekday, ISO week number, day of the year, quarter, whether its year is a
    leap year, and how many days its month has.

    Args:
        date: YYYY-MM-DD
    """
    d = _date(date, "date")
    iso = d.isocalendar()
    return {"date": d.isoformat(), "weekday": d.strftime("%A"), "iso_week": iso.week, "iso_year": iso.year,
            "day_of_year": d.timetuple().tm_yday, "quarter": (d.month - 1) // 3 + 1,
            "is_leap_year": calendar.isleap(d.year), "days_in_month": calendar.monthrange(d.year, d.month)[1],
            "is_weekend": d.weekday() >= 5}


@tool("1", params={"start": {"format": "date"}, "end": {"format": "date"},
                   "holidays": {"items": {"format": "date"}, "maxItems": 366}})
def business_days(start: str, end: str, holidays: list[str] | None = None) -> dict:
    """Count working days (Monday to Friday) from start (included) to end (excluded), leaving out
    the given holidays. Fails if end is before start or the span is over 100 years.

    Args:
        start: first day, YYYY-MM-DD
        end: day after the last day, YYYY-MM-DD
        holidays: dates that are not working days, YYYY-MM-DD
    """
    first, last = _date(start, "start"), _date(end, "end")
    if last < first:
        raise ValueError("end is before start")
    if (last - first).days > 36525:
        raise ValueError("span longer than 100 years")
    off = {_date(h, "each holiday") for h in holidays or []}
    days, weekend, skipped = 0, 0, 0
    d = first
    while d < last:
        if d.weekday() >= 5:
            weekend += 1
        elif d in off:
            skipped += 1
        else:
            days += 1
        d += dt.timedelta(days=1)
    return {"start": first.isoformat(), "end": last.isoformat(), "business_days": days,
            "weekend_days": weekend, "holidays_on_weekdays": skipped, "calendar_days": (last - first).days}


@tool("1", params={"year": {"minimum": 1, "maximum": 9999}, "month": {"minimum": 1, "maximum": 12}})
def month_calendar(year: int, month: int, first_weekday: Literal["monday", "sunday"] = "monday") -> dict:
    """The calendar of one month as weeks of day numbers (0 = a day of the neighbouring month).

    Args:
        year: e.g. 2024
        month: 1 to 12
        first_weekday: the day each week starts on
    """
    if not 1 <= month <= 12:
        raise ValueError("month must be 1 to 12")
    if not 1 <= year <= 9999:
        raise ValueError("year must be 1 to 9999")
    cal = calendar.Calendar(firstweekday=0 if first_weekday == "monday" else 6)
    names = [calendar.day_abbr[(cal.firstweekday + i) % 7] for i in range(7)]
    return {"year": year, "month": month, "month_name": calendar.month_name[month], "weekdays": names,
            "weeks": cal.monthdayscalendar(year, month), "days": calendar.monthrange(year, month)[1]}
