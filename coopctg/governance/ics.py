"""A small iCalendar (RFC 5545) writer for the meetings of a Ctg (pure module, no dependency).

What it guarantees:

- content lines end with CRLF and are folded so that no line exceeds 75 octets (UTF-8), a
  continuation line starting with one space; a multi-byte character is never split;
- TEXT values escape ``\\``, ``;``, ``,`` and newlines (RFC 5545, 3.3.11);
- every event has a UID (stable: the caller derives it from the meeting's id), a DTSTAMP in
  UTC, and a DTSTART either as a date (``VALUE=DATE``, all-day) or as a UTC date-time
  (``…Z``): no VTIMEZONE is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

CRLF = "\r\n"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma escaped; any newline becomes ``\\n``."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded at 75 octets, without its final CRLF.

    The first physical line holds at most 75 octets; each continuation line is one space
    followed by at most 74 octets. Characters are kept whole (UTF-8 sequences never split).
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = MAX_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, MAX_OCTETS - 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def format_utc(moment: dt.datetime) -> str:
    """An aware date-time as ``20261215T080000Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("une date et heure iCalendar doit porter son fuseau horaire")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _date_property(name: str, value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return f"{name}:{format_utc(value)}"
    return f"{name};VALUE=DATE:{value.strftime('%Y%m%d')}"


@dataclass(frozen=True)
class Event:
    uid: str
    start: dt.date | dt.datetime  # a date: all-day event; a date-time: must be aware
    summary: str
    end: dt.date | dt.datetime | None = None  # a date: exclusive (the day after)
    location: str = ""
    description: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    last_modified: dt.datetime | None = None


def event_lines(event: Event, stamp: dt.datetime) -> list[str]:
    """The unfolded content lines of one VEVENT."""
    if event.end is not None and isinstance(event.end, dt.datetime) != isinstance(
        event.start, dt.datetime
    ):
        raise ValueError("le début et la fin d'un événement doivent être du même type")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{format_utc(stamp)}",
        _date_property("DTSTART", event.start),
    ]
    if event.end is not None:
        lines.append(_date_property("DTEND", event.end))
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    if event.url:
        lines.append(f"URL:{event.url}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{format_utc(event.last_modified)}")
    lines.append("END:VEVENT")
    return lines


def serialize_calendar(
    events: Iterable[Event], *, stamp: dt.datetime, prodid: str, name: str = ""
) -> str:
    """A complete VCALENDAR: folded lines, each ending with CRLF."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{prodid}", "CALSCALE:GREGORIAN"]
    lines.append("METHOD:PUBLISH")
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines.extend(event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
