"""The échéances exported: the iCalendar file of the page, the ``coopctg echeances`` command."""

import csv
import datetime as dt
import html
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from coopctg.agreements import workflow
from coopctg.ctg.models import Ctg
from coopctg.organisations.models import LocalAuthority
from tests.agreements.helpers import make_cof, proposal
from tests.hostile import csv_rows

TODAY = dt.date(2026, 5, 20)  # 1st semester 2026 of the Ctg 2022-2026
BASE = "https://coopctg.example"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch, settings):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    settings.COOPCTG_BASE_URL = BASE
    return TODAY


@pytest.fixture
def demande(touraine):
    """A Cof of ``own`` (its bilan 2025, late) and a submitted modification request."""
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-970")
    request = workflow.do_create_request(touraine.editor, cof, proposal())
    return workflow.do_submit_request(touraine.editor, request)


def calendar(client, **params) -> tuple[str, list[str]]:
    response = client.get(reverse("deadlines:calendar"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="echeances-coopctg.ics"'
    text = response.content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    return text, text.replace("\r\n ", "").split("\r\n")  # unfolded


def events(lines: list[str]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for line in lines:
        if line == "BEGIN:VEVENT":
            found.append({})
        elif found and line != "END:VEVENT" and ":" in line and line != "END:VCALENDAR":
            name, _, value = line.partition(":")
            found[-1].setdefault(name, value)
    return found


def page_rows(client, **params) -> int:
    response = client.get(reverse("deadlines:list"), params)
    assert response.status_code == 200
    return response.content.decode().split('id="contenu"')[1].count("<tr") - 1  # minus header


# --- iCalendar --------------------------------------------------------------------------------


def test_ics_one_all_day_event_per_deadline_with_stable_uids(client, touraine, demande):
    client.force_login(touraine.editor)
    text, lines = calendar(client)
    found = events(lines)
    assert text.count("BEGIN:VEVENT") == len(found) == page_rows(client) >= 4
    # all-day: a date, the end the day after
    for event in found:
        assert "DTSTART" not in event and "DTSTART;VALUE=DATE" in event
        start = dt.datetime.strptime(event["DTSTART;VALUE=DATE"], "%Y%m%d").date()
        assert event["DTEND;VALUE=DATE"] == (start + dt.timedelta(days=1)).strftime("%Y%m%d")
    ctg = touraine.ctg_own
    end = next(e for e in found if e["SUMMARY"].startswith("Fin de la Ctg Gâtine-Racan"))
    assert end["UID"] == f"coopctg-echeance-ctg_fin-ctg-{ctg.pk}-20261231@coopctg.example"
    assert end["DTSTART;VALUE=DATE"] == "20261231" and end["DTEND;VALUE=DATE"] == "20270101"
    assert end["URL"] == f"{BASE}{reverse('ctg:detail', args=[ctg.pk])}"
    bilan = next(e for e in found if "Bilan annuel 2025 à rédiger et transmettre" in e["SUMMARY"])
    assert bilan["DTSTART;VALUE=DATE"] == "20260331"
    assert bilan["DESCRIPTION"].startswith("En retard\\nQui agit : la collectivité\\nTerritoire")
    request = next(e for e in found if "Demande de modification" in e["SUMMARY"])
    # what is summary; who acts, the territory and the absolute link are described
    assert request["SUMMARY"].startswith(
        "Demande de modification de la Cof COF-37-2022-970 (soumise) : à instruire et décider"
    )
    # its effective date (01/01/2025) is past and the Caf has not decided yet: late
    assert request["DESCRIPTION"] == (
        "En retard\\n"
        "Qui agit : la Caf (conseiller·ère) : Sylvie MICHEL\\n"
        "Territoire : Communauté de communes de Gâtine-Racan\\n"
        f"{BASE}{reverse('agreements:request', args=[demande.pk])}"
    )
    # unique, and the same at the next export: a re-import updates the events
    uids = [e["UID"] for e in found]
    assert len(set(uids)) == len(uids)
    _, again = calendar(client)
    assert [e["UID"] for e in events(again)] == uids


def test_ics_scope_and_filter(client, touraine, demande):
    client.force_login(touraine.editor)
    text, lines = calendar(client)
    assert "Gâtine-Racan" in text
    assert "Saint-Pierre" not in text and "Blois" not in text  # other collectivités
    # ?type=: as on the page
    _, filtered = calendar(client, type="demande")
    found = events(filtered)
    assert len(found) == 1 == page_rows(client, type="demande")
    assert found[0]["UID"].startswith(f"coopctg-echeance-demande-demande-{demande.pk}-20250101@")
    assert found[0]["UID"] in {e["UID"] for e in events(lines)}
    _, unknown = calendar(client, type="inconnu")  # ignored, like the page
    assert len(events(unknown)) == len(events(lines))
    # Caf B's admin: Blois only
    client.force_login(touraine.outsider)
    text, lines = calendar(client)
    assert "Ctg Blois" in text and "Gâtine" not in text and "COF-37" not in text
    # no role: an empty calendar
    client.force_login(touraine.nobody)
    text, lines = calendar(client)
    assert "BEGIN:VEVENT" not in text


def test_page_links_to_the_calendar_with_its_filter(client, touraine, demande):
    client.force_login(touraine.editor)
    page = html.unescape(client.get(reverse("deadlines:list")).content.decode())
    assert f'href="{reverse("deadlines:calendar")}">Ajouter à mon agenda (iCalendar)' in page
    page = html.unescape(
        client.get(reverse("deadlines:list"), {"type": "demande"}).content.decode()
    )
    assert f'href="{reverse("deadlines:calendar")}?type=demande"' in page


# --- coopctg echeances ------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("echeances", *args, stdout=out)
    return out.getvalue()


def test_cli_text_sorted_by_date(touraine, demande):
    out = run("--utilisateur", "editeur")
    lines = out.splitlines()
    assert len(lines) >= 4
    # every year's bilan not transmitted, the oldest first: 2022 is still awaited
    assert lines[0].startswith(
        "31/03/2023 (en retard) [à faire] ; Bilan annuel ; Bilan annuel 2022 à rédiger et "
        "transmettre (Cof COF-37-2022-970) ; la collectivité ; "
    )
    # the Caf acts on the request: listed, not « à faire » for the editor
    assert (
        "01/01/2025 (en retard) ; Demande de modification ; Demande de modification de la Cof "
        "COF-37-2022-970 (soumise) : à instruire et décider — effet demandé au 01/01/2025 ; "
        "la Caf (conseiller·ère) : Sylvie MICHEL ; Communauté de communes de Gâtine-Racan ; "
        f"{BASE}{reverse('agreements:request', args=[demande.pk])}"
    ) in lines
    assert any(
        line.startswith(
            "31/03/2026 (en retard) [à faire] ; Bilan annuel ; Bilan annuel 2025 à rédiger et "
            "transmettre"
        )
        for line in lines
    )
    assert any(
        line.startswith("31/12/2026 [à faire] ; Fin de Ctg ; Fin de la Ctg Gâtine-Racan")
        for line in lines
    )
    assert lines[-1].startswith(
        "31/03/2027 [à faire] ; Bilan annuel ; Bilan annuel 2026 à rédiger et transmettre"
    )
    dates = [dt.datetime.strptime(line[:10], "%d/%m/%Y").date() for line in lines]
    assert dates == sorted(dates)
    assert "Saint-Pierre" not in out and "Blois" not in out
    assert run("--utilisateur", "sansrole") == "Aucune échéance.\n"


def test_cli_json_and_csv(touraine, demande):
    data = json.loads(run("--utilisateur", "editeur", "--format", "json"))
    assert data["utilisateur"] == "editeur" and data["au"] == "2026-05-20"
    items = data["echeances"]
    assert set(items[0]) == {
        "date",
        "type",
        "libelle_type",
        "quoi",
        "qui",
        "cote",
        "a_faire",
        "territoire",
        "en_retard",
        "lien",
    }
    end = next(i for i in items if i["type"] == "ctg_fin")
    assert end["date"] == "2026-12-31" and end["type"] == "ctg_fin"
    assert end["lien"] == f"{BASE}{reverse('ctg:detail', args=[touraine.ctg_own.pk])}"
    assert [i["date"] for i in items] == sorted(i["date"] for i in items)
    bilan = next(i for i in items if i["type"] == "bilan" and i["date"] == "2026-03-31")
    assert bilan["en_retard"] is True and bilan["qui"] == "la collectivité"
    assert bilan["cote"] == "collectivite" and bilan["a_faire"] is True
    request = next(i for i in items if i["type"] == "demande")
    assert request["cote"] == "caf" and request["a_faire"] is False
    assert data["a_faire"] is False

    rows = list(
        csv.reader(io.StringIO(run("--utilisateur", "editeur", "--format", "csv")), delimiter=";")
    )
    assert rows[0] == [
        "date",
        "type",
        "libelle_type",
        "quoi",
        "qui",
        "cote",
        "a_faire",
        "territoire",
        "en_retard",
        "lien",
    ]
    assert len(rows) == len(items) + 1
    assert ["31/12/2026", "ctg_fin", "Fin de Ctg"] in [row[:3] for row in rows]
    assert rows[-1][:2] == ["31/03/2027", "bilan"]
    assert ["31/03/2026", "bilan"] in [row[:2] for row in rows]
    assert next(row for row in rows if row[1] == "bilan")[8] == "oui"
    assert next(row for row in rows if row[1] == "bilan")[6] == "oui"  # à faire
    # --a-faire: only what the user acts on
    mine = json.loads(run("--utilisateur", "editeur", "--format", "json", "--a-faire"))
    assert mine["echeances"] and all(i["a_faire"] for i in mine["echeances"])
    assert {i["type"] for i in mine["echeances"]} == {"bilan", "copil", "cotech", "ctg_fin"}
    advisor = json.loads(run("--utilisateur", "conseiller", "--format", "json", "--a-faire"))
    assert [i["type"] for i in advisor["echeances"]] == ["demande", "ctg_fin"]

    only = json.loads(run("--utilisateur", "admin", "--format", "json", "--type", "demande"))
    assert [i["type"] for i in only["echeances"]] == ["demande"]
    assert only["type"] == "demande"
    outsider = run("--utilisateur", "externe", "--format", "csv")
    assert "Ctg Blois" in outsider and "Gâtine" not in outsider


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--utilisateur", "personne"], "Erreur : utilisateur inconnu : « personne »\n"),
        (
            ["--utilisateur", "editeur", "--type", "reunion"],
            "Erreur : type d'échéance inconnu : « reunion » (types : ctg_fin, cof_fin, bilan, "
            "bilan_validation, copil, cotech, demande, recrutement, actions_retard, referent, "
            "commission, veille)\n",
        ),
    ],
)
def test_cli_errors_exit_2_with_one_french_line(touraine, capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        run(*args)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == message and captured.out == ""


def test_cli_inactive_user_and_missing_user(touraine, capsys):
    touraine.editor.is_active = False
    touraine.editor.save()
    with pytest.raises(SystemExit) as exit_:
        run("--utilisateur", "editeur")
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "Erreur : le compte « editeur » est désactivé\n"
    with pytest.raises(CommandError) as error:
        run()
    assert error.value.returncode == 2
    assert "arguments obligatoires manquants : --utilisateur" in str(error.value)


def test_cli_csv_hostile_texts_stay_inert(touraine, demande):
    """Security probe (issue 10): a name that a spreadsheet would run stays a text in the CSV
    (a quote first); a Word line break in a Ctg title is cleaned."""
    LocalAuthority.objects.filter(pk=touraine.own.pk).update(nom="+1")
    Ctg.objects.filter(pk=touraine.ctg_own.pk).update(intitule="Ctg\x0bGâtine")
    rows = csv_rows(run("--utilisateur", "editeur", "--format", "csv"))
    assert {row[7] for row in rows[1:]} == {"'+1"}  # the territory
    assert any("Ctg\nGâtine" in row[3] for row in rows[1:])


def test_the_national_analyst_takes_the_calendar_one_caf_at_a_time(client, touraine, demande):
    """A calendar of every deadline of France would be unreadable (and grow with it): who sees
    several Caf chooses one; the page says so instead of offering the link."""
    client.force_login(touraine.national)
    refused = client.get(reverse("deadlines:calendar"))
    assert refused.status_code == 400
    assert "Choisissez une Caf" in refused.content.decode()
    page = client.get(reverse("deadlines:list")).content.decode()
    assert "choisissez d'abord une Caf" in page
    assert "Ajouter à mon agenda (iCalendar)" not in page
    text, lines = calendar(client, caf="37")
    assert "COF-37-2022-970" in text.replace("\r\n ", "")
    assert all("Loir" not in line for line in lines)
    page = client.get(reverse("deadlines:list"), {"caf": "37"}).content.decode()
    assert f'href="{reverse("deadlines:calendar")}?caf=37"' in page
