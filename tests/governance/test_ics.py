"""The iCalendar writer: CRLF, folding at 75 octets, escaping, dates (RFC 5545)."""

import datetime as dt
import zoneinfo

import pytest

from coopctg.governance.ics import (
    Event,
    escape_text,
    fold,
    format_utc,
    serialize_calendar,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
STAMP = dt.datetime(2026, 11, 28, 14, 0, tzinfo=dt.UTC)


def unfold(text: str) -> list[str]:
    """RFC 5545, 3.1: a CRLF followed by one space or tab is removed."""
    assert text.endswith("\r\n")
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("Copil, bilan; suite", "Copil\\, bilan\\; suite"),
        ("C:\\dossier", "C:\\\\dossier"),
        ("ligne 1\nligne 2\r\nligne 3\rligne 4", "ligne 1\\nligne 2\\nligne 3\\nligne 4"),
        ("\\,", "\\\\\\,"),
        ("déjà : « ok »", "déjà : « ok »"),
    ],
)
def test_escape_text(raw, escaped):
    assert escape_text(raw) == escaped


def test_short_line_is_not_folded():
    assert fold("SUMMARY:" + "a" * 67) == "SUMMARY:" + "a" * 67  # 75 octets exactly


def test_fold_at_75_octets_with_a_leading_space():
    line = "DESCRIPTION:" + "x" * 200
    physical = fold(line).split("\r\n")
    assert [len(p.encode()) for p in physical] == [75, 75, 64]  # 212 = 75 + 74 + 63
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line


def test_fold_never_splits_a_multibyte_character():
    line = "SUMMARY:" + "é" * 100  # 2 octets each
    physical = fold(line).split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    for p in physical:
        p.encode("utf-8").decode("utf-8")  # each physical line is valid UTF-8 on its own
    assert len(physical[0].encode()) == 74  # 8 + 33 × 2 = 74: one more « é » would make 76
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line


def test_format_utc_needs_an_aware_datetime():
    assert format_utc(dt.datetime(2026, 7, 1, 9, 30, tzinfo=PARIS)) == "20260701T073000Z"
    assert format_utc(dt.datetime(2026, 12, 1, 9, 30, tzinfo=PARIS)) == "20261201T083000Z"
    with pytest.raises(ValueError, match="fuseau"):
        format_utc(dt.datetime(2026, 7, 1, 9, 30))


def test_calendar_is_valid_rfc_5545():
    events = [
        Event(
            uid="coopctg-instance-12@coopctg.example",
            start=dt.datetime(2026, 12, 15, 9, 30, tzinfo=PARIS),
            end=dt.datetime(2026, 12, 15, 12, 0, tzinfo=PARIS),
            summary="Copil — Ctg Gâtine-Racan, bilan; perspectives",
            location="Salle du conseil, mairie de Neuvy-le-Roi",
            description="Ordre du jour :\n1. Bilan 2026\n2. Plan d'actions 2027, arbitrages",
            url="https://coopctg.example/instances/12/",
            categories=("Copil",),
            last_modified=STAMP,
        ),
        Event(
            uid="coopctg-instance-13@coopctg.example",
            start=dt.date(2027, 1, 8),
            end=dt.date(2027, 1, 9),
            summary="Cotech",
        ),
    ]
    text = serialize_calendar(events, stamp=STAMP, prodid="-//CoopCTG//FR", name="Instances")
    assert "\n" not in text.replace("\r\n", "")  # only CRLF line ends
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert lines[:5] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//CoopCTG//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    assert lines[-1] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 2
    assert "UID:coopctg-instance-12@coopctg.example" in lines
    assert lines.count("DTSTAMP:20261128T140000Z") == 2
    assert "DTSTART:20261215T083000Z" in lines
    assert "DTEND:20261215T110000Z" in lines
    assert "SUMMARY:Copil — Ctg Gâtine-Racan\\, bilan\\; perspectives" in lines
    assert "LOCATION:Salle du conseil\\, mairie de Neuvy-le-Roi" in lines
    assert (
        "DESCRIPTION:Ordre du jour :\\n1. Bilan 2026\\n2. Plan d'actions 2027\\, arbitrages"
        in lines
    )
    assert "DTSTART;VALUE=DATE:20270108" in lines and "DTEND;VALUE=DATE:20270109" in lines
    assert "LAST-MODIFIED:20261128T140000Z" in lines


def test_start_and_end_of_the_same_type():
    event = Event(uid="x", start=dt.date(2027, 1, 8), end=STAMP, summary="x")
    with pytest.raises(ValueError, match="même type"):
        serialize_calendar([event], stamp=STAMP, prodid="x")
