"""The governance pages, end to end: compliance table, instances, minutes, calendar, faits
marquants, history, query counts."""

import datetime as dt
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from coopctg.core.models import AuditEntry
from coopctg.governance.files import MAX_BYTES
from coopctg.governance.models import Decision, Highlight, Meeting
from tests.factories import StaffMemberFactory

TODAY = dt.date(2026, 5, 20)  # in the 1st semester 2026 of the Ctg 2022-2026
PDF = b"%PDF-1.7\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """The pages compute compliance on ``timezone.localdate()``: freeze it."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


class _ById(HTMLParser):
    """The text of the element with a given id (void elements aside)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"}

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted, self.depth, self.parts, self.found = wanted, 0, [], False

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.wanted:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def text_of(html: str, element_id: str) -> str:
    parser = _ById(element_id)
    parser.feed(html)
    assert parser.found, f"pas d'élément id={element_id}"
    return " ".join(" ".join(parser.parts).split())


def page(client, ctg) -> str:
    response = client.get(reverse("governance:ctg", args=[ctg.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def meeting_data(**overrides):
    data = {
        "kind": "cotech",
        "date": "2022-03-15",
        "heure": "09:30",
        "heure_fin": "12:00",
        "lieu": "Mairie de Neuvy-le-Roi",
        "objet": "Cotech de lancement",
        "participants_text": "Mme Dupont, DGS\n\nM. Martin, directeur du centre social\n",
        "ordre_du_jour": "1. Diagnostic\n2. Plan d'actions",
        "decisions_text": "Valider le diagnostic\nOuvrir un LAEP en 2023 [action : 2.3]",
    }
    data.update(overrides)
    return data


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- The compliance table, end to end ------------------------------------------------------


def test_missing_cotech_is_non_compliant_and_adding_one_fixes_it(client, touraine):
    client.force_login(touraine.editor)
    html = page(client, touraine.ctg_own)
    assert "non conforme" in text_of(html, "cotech-2022-S1")
    assert "1er semestre 2022 (du 01/01/2022 au 30/06/2022) : aucun comité technique" in html
    assert "en cours" in text_of(html, "cotech-2026-S1")
    assert "à venir" in text_of(html, "cotech-2026-S2")

    response = client.post(
        reverse("governance:instance_create", args=[touraine.ctg_own.pk]), meeting_data()
    )
    assert response.status_code == 302

    html = page(client, touraine.ctg_own)
    row = text_of(html, "cotech-2022-S1")
    assert "conforme" in row and "non conforme" not in row
    assert "1er semestre 2022 (du" not in html  # its alert is gone
    assert "non conforme" in text_of(html, "cotech-2022-S2")


def test_page_shows_alerts_minimum_source_and_partial_periods(client, touraine):
    ctg = touraine.ctg_own
    ctg.date_debut = dt.date(2022, 4, 15)
    ctg.save()
    Meeting.objects.create(ctg=ctg, kind="copil", date=dt.date(2026, 6, 20), objet="Copil 2026")
    client.force_login(touraine.elu)
    html = page(client, ctg)
    assert "15/04/2022 – 30/06/2022 (partiel)" in text_of(html, "cotech-2022-S1")
    assert "en cours" in text_of(html, "copil-2026")  # planned on 20/06, not held yet
    assert "COPIL_A_ORGANISER" not in html  # a Copil is planned: nothing to organise
    assert 'data-code="COTECH_A_ORGANISER"' in html
    assert "les comités techniques (1 fois par semestre minimum)" in html
    assert "Copil 2026" in text_of(html, "instances-a-venir")
    assert "Copil 2026" not in text_of(html, "instances-passees")
    assert "Ajouter une instance" not in html  # the elected official reads only


def test_caf_without_parameters_shows_a_notice(client, touraine, only_touraine_parameters):
    client.force_login(touraine.outsider)
    html = page(client, touraine.ctg_foreign)
    assert "Les minimums d'instances de la Caf de Loir-et-Cher ne sont pas paramétrés" in html


# --- Instances -----------------------------------------------------------------------------


def test_create_instance_with_participants_decisions_and_history(client, touraine):
    client.force_login(touraine.advisor)
    data = meeting_data(participants_caf=[touraine.staff.pk])
    response = client.post(reverse("governance:instance_create", args=[touraine.ctg_own.pk]), data)
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("governance:instance", args=[meeting.pk])
    assert meeting.participants == ["Mme Dupont, DGS", "M. Martin, directeur du centre social"]
    assert list(meeting.participants_caf.all()) == [touraine.staff]
    assert [(d.position, d.texte, d.action_ref) for d in meeting.decisions.all()] == [
        (1, "Valider le diagnostic", ""),
        (2, "Ouvrir un LAEP en 2023", "2.3"),
    ]
    entry = AuditEntry.objects.get(objet_type="governance.meeting", objet_id=str(meeting.pk))
    assert entry.action == "creation" and entry.auteur == touraine.advisor
    assert entry.caf == touraine.caf
    assert entry.apres["heure"] == "09:30"
    assert entry.apres["participants_caf"] == ["Sylvie MICHEL"]
    assert entry.apres["decisions"][1] == "Ouvrir un LAEP en 2023 [action : 2.3]"

    detail = client.get(reverse("governance:instance", args=[meeting.pk])).content.decode()
    assert "Comité technique (Cotech) du 15/03/2022" in detail
    assert "de 09h30 à 12h00" in detail
    assert "fiche action 2.3" in detail
    assert "Sylvie MICHEL — Chargée de développement social" in detail


def test_edit_instance_records_before_and_after(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("governance:instance_create", args=[touraine.ctg_own.pk])
    client.post(url, meeting_data())
    meeting = Meeting.objects.get()
    edit = reverse("governance:instance_edit", args=[meeting.pk])
    form = client.get(edit).content.decode()
    assert "Ouvrir un LAEP en 2023 [action : 2.3]" in form  # decisions as typed
    assert client.post(edit, meeting_data(lieu="Salle des fêtes")).status_code == 302
    entry = AuditEntry.objects.get(objet_id=str(meeting.pk), action="modification")
    assert entry.changes() == [("lieu", "Mairie de Neuvy-le-Roi", "Salle des fêtes")]
    count = AuditEntry.objects.count()
    client.post(edit, meeting_data(lieu="Salle des fêtes"))
    assert AuditEntry.objects.count() == count  # nothing changed, no history row


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": "2021-12-31"}, "date", "du 01/01/2022 au 31/12/2026"),
        ({"date": "2027-01-01"}, "date", "dans la période de la Ctg"),
        ({"date": ""}, "date", "obligatoire"),
        ({"kind": "seminaire"}, "kind", "valide"),
        ({"heure": "14:00", "heure_fin": "12:00"}, "heure_fin", "suivre l'heure de début"),
        ({"heure": "", "heure_fin": "12:00"}, "heure", "Indiquez l'heure de début"),
        ({"decisions_text": "[action : 2.3]"}, "decisions_text", "n'a pas de texte"),
    ],
)
def test_invalid_instance_400_errors_next_to_fields_nothing_written(
    client, touraine, settings, overrides, field, message
):
    client.force_login(touraine.admin)
    audit = AuditEntry.objects.count()
    upload = SimpleUploadedFile("cr.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("governance:instance_create", args=[touraine.ctg_own.pk]),
        {**meeting_data(**overrides), "minutes": upload},
    )
    assert response.status_code == 400
    content = html.unescape(response.content.decode())
    errors = re.findall(
        rf'<div class="field-errors" id="id_{field}_error"><p class="field-error">([^<]*)</p>',
        content,
    )
    assert any(message in error for error in errors), errors
    assert Meeting.objects.count() == 0 and Decision.objects.count() == 0
    assert AuditEntry.objects.count() == audit
    assert media_files(settings) == []


def test_caf_participants_are_the_ctg_caf_team_only(client, touraine):
    foreign_staff = StaffMemberFactory(caf=touraine.caf_b)
    client.force_login(touraine.admin)
    url = reverse("governance:instance_create", args=[touraine.ctg_own.pk])
    assert foreign_staff.nom not in client.get(url).content.decode()
    response = client.post(url, meeting_data(participants_caf=[foreign_staff.pk]))
    assert response.status_code == 400
    assert "participants_caf" in response.context["form"].errors


def test_create_form_prefilled_from_the_alert_link(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("governance:instance_create", args=[touraine.ctg_own.pk])
    form = client.get(url + "?type=copil&date=2026-06-30").context["form"]
    assert (form["kind"].value(), form["date"].value()) == ("copil", dt.date(2026, 6, 30))
    form = client.get(url + "?type=rien&date=hier").context["form"]
    assert (form["kind"].value(), form["date"].value()) == ("", None)


# --- Minutes --------------------------------------------------------------------------------


def post_minutes(client, ctg, upload, **overrides):
    url = reverse("governance:instance_create", args=[ctg.pk])
    return client.post(url, {**meeting_data(**overrides), "minutes": upload})


def test_text_renamed_as_pdf_is_refused(client, touraine, settings):
    client.force_login(touraine.editor)
    upload = SimpleUploadedFile("compte-rendu.pdf", b"<html>faux</html>", "application/pdf")
    response = post_minutes(client, touraine.ctg_own, upload)
    assert response.status_code == 400
    assert "ne correspond pas à un PDF" in text_of(response.content.decode(), "id_minutes_error")
    assert Meeting.objects.count() == 0 and media_files(settings) == []


def test_docx_renamed_as_pdf_and_exe_are_refused(client, touraine, settings):
    client.force_login(touraine.editor)
    zipped = SimpleUploadedFile("cr.pdf", b"PK\x03\x04" + b"\x00" * 40, "application/pdf")
    assert post_minutes(client, touraine.ctg_own, zipped).status_code == 400
    exe = SimpleUploadedFile("cr.exe", PDF, "application/octet-stream")
    response = post_minutes(client, touraine.ctg_own, exe)
    assert response.status_code == 400
    assert "PDF, DOCX ou ODT" in text_of(response.content.decode(), "id_minutes_error")
    assert Meeting.objects.count() == 0 and media_files(settings) == []


def test_too_large_file_is_refused(client, touraine, settings):
    client.force_login(touraine.editor)
    big = SimpleUploadedFile("cr.pdf", PDF + b"0" * (MAX_BYTES + 1 - len(PDF)), "application/pdf")
    response = post_minutes(client, touraine.ctg_own, big)
    assert response.status_code == 400
    assert "la taille maximale est de 10" in text_of(response.content.decode(), "id_minutes_error")
    assert Meeting.objects.count() == 0 and media_files(settings) == []


def test_good_pdf_is_stored_privately_and_downloaded_only_by_who_sees_the_ctg(
    client, touraine, settings
):
    client.force_login(touraine.editor)
    upload = SimpleUploadedFile("CR Cotech mars 2022.pdf", PDF, "application/pdf")
    assert post_minutes(client, touraine.ctg_own, upload).status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.compte_rendu_nom == "CR Cotech mars 2022.pdf"
    [stored] = media_files(settings)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT) / f"instances/ctg-{touraine.ctg_own.pk}")
    assert "CR Cotech" not in stored.name  # a random name, not guessable
    assert stored.read_bytes() == PDF

    url = reverse("governance:minutes", args=[meeting.pk])
    detail = client.get(reverse("governance:instance", args=[meeting.pk])).content.decode()
    assert f'href="{url}"' in detail and stored.name not in detail  # never the stored path
    for role in ("editor", "elu", "admin", "analyst", "advisor"):
        client.force_login(getattr(touraine, role))
        response = client.get(url)
        assert response.status_code == 200, role
        assert response.content == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="CR Cotech mars 2022.pdf"' in response["Content-Disposition"]
    for role in ("other_editor", "outsider", "nobody"):
        client.force_login(getattr(touraine, role))
        assert client.get(url).status_code == 404, role
    client.logout()
    assert client.get(url).status_code == 302


def test_replacing_and_removing_minutes_deletes_the_old_file(
    client, touraine, settings, django_capture_on_commit_callbacks
):
    client.force_login(touraine.editor)
    post_minutes(client, touraine.ctg_own, SimpleUploadedFile("a.pdf", PDF, "application/pdf"))
    meeting = Meeting.objects.get()
    [first] = media_files(settings)
    edit = reverse("governance:instance_edit", args=[meeting.pk])
    docx = _docx()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit, {**meeting_data(), "minutes": docx})
    assert response.status_code == 302
    [second] = media_files(settings)
    assert second != first and second.suffix == ".docx"
    meeting.refresh_from_db()
    assert meeting.compte_rendu_nom == "cr.docx"
    entry = AuditEntry.objects.get(objet_id=str(meeting.pk), action="modification")
    assert entry.changes() == [("compte_rendu_nom", "a.pdf", "cr.docx")]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, {**meeting_data(), "remove_minutes": "on"})
    assert media_files(settings) == []
    meeting.refresh_from_db()
    assert not meeting.compte_rendu and meeting.compte_rendu_nom == ""
    assert client.get(reverse("governance:minutes", args=[meeting.pk])).status_code == 404


def _docx():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return SimpleUploadedFile("cr.docx", buffer.getvalue(), "application/octet-stream")


# --- Calendar -------------------------------------------------------------------------------


def test_ics_lists_upcoming_instances_with_stable_uids(client, touraine, settings):
    settings.COOPCTG_BASE_URL = "https://coopctg.example"
    ctg = touraine.ctg_own
    past = Meeting.objects.create(ctg=ctg, kind="copil", date=dt.date(2026, 5, 19))
    today = Meeting.objects.create(
        ctg=ctg,
        kind="cotech",
        date=TODAY,
        heure=dt.time(14, 0),
        heure_fin=dt.time(16, 30),
        lieu="Mairie, salle 2",
        objet="Point d'étape; budget",
    )
    later = Meeting.objects.create(ctg=ctg, kind="copil", date=dt.date(2026, 12, 1))
    client.force_login(touraine.elu)
    url = reverse("governance:ics", args=[ctg.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = text.replace("\r\n ", "").split("\r\n")
    uids = [line for line in lines if line.startswith("UID:")]
    assert uids == [
        f"UID:coopctg-instance-{today.pk}@coopctg.example",
        f"UID:coopctg-instance-{later.pk}@coopctg.example",
    ]
    assert f"coopctg-instance-{past.pk}@" not in text
    assert "DTSTART:20260520T120000Z" in lines and "DTEND:20260520T143000Z" in lines
    assert "DTSTART;VALUE=DATE:20261201" in lines and "DTEND;VALUE=DATE:20261202" in lines
    assert "LOCATION:Mairie\\, salle 2" in lines
    assert f"SUMMARY:Cotech — {ctg.intitule} : Point d'étape\\; budget" in lines
    assert f"URL:https://coopctg.example/instances/{today.pk}/" in lines
    assert [line for line in client.get(url).content.decode().split("\r\n") if "UID" in line] == [
        u for u in text.split("\r\n") if "UID" in u
    ]


# --- Faits marquants ------------------------------------------------------------------------


def highlight_data(**overrides):
    data = {
        "kind": "competence",
        "date": "2024-01-01",
        "theme": "jeunesse",
        "intitule": "Prise de la compétence jeunesse par la communauté de communes",
        "description": "Transfert des accueils de jeunes des communes à l'EPCI.",
    }
    data.update(overrides)
    return data


def test_highlights_created_listed_edited_and_audited(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("governance:highlight_create", args=[touraine.ctg_own.pk])
    response = client.post(url, highlight_data())
    assert response.status_code == 302
    assert response["Location"].endswith("#faits-marquants")
    highlight = Highlight.objects.get()
    html = page(client, touraine.ctg_own)
    assert "Nouvelle prise de compétence (intercommunalité)" in html
    assert "Prise de la compétence jeunesse" in html and "Jeunesse" in html
    edit = reverse("governance:highlight_edit", args=[highlight.pk])
    assert client.post(edit, highlight_data(theme="enfance")).status_code == 302
    entries = AuditEntry.objects.filter(objet_type="governance.highlight").order_by("id")
    assert [e.action for e in entries] == ["creation", "modification"]
    assert entries[1].changes() == [("theme", "jeunesse", "enfance")]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"theme": "sport"}, "theme"),
        ({"kind": "autre"}, "kind"),
        ({"date": "2021-06-01"}, "date"),
        ({"description": ""}, "description"),
    ],
)
def test_invalid_highlight_400_nothing_written(client, touraine, overrides, field):
    client.force_login(touraine.admin)
    audit = AuditEntry.objects.count()
    response = client.post(
        reverse("governance:highlight_create", args=[touraine.ctg_own.pk]),
        highlight_data(**overrides),
    )
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Highlight.objects.count() == 0 and AuditEntry.objects.count() == audit


# --- Query counts ---------------------------------------------------------------------------


def grow(w, n):
    staff = [StaffMemberFactory(caf=w.caf) for _ in range(3)]
    for i in range(n):
        meeting = Meeting.objects.create(
            ctg=w.ctg_own,
            kind=["copil", "cotech", "groupe_travail", "reseau"][i % 4],
            date=dt.date(2022, 1, 1) + dt.timedelta(days=53 * i),
            participants=["Mme A", "M. B"],
        )
        meeting.participants_caf.set(staff)
        Decision.objects.bulk_create(
            Decision(meeting=meeting, position=k, texte=f"Décision {k}") for k in (1, 2)
        )
        Highlight.objects.create(
            ctg=w.ctg_own,
            kind="partenariat",
            date=dt.date(2022, 2, 1) + dt.timedelta(days=40 * i),
            theme="parentalite",
            intitule=f"Partenariat {i}",
            description="…",
        )


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_ctg_page_queries_do_not_grow(client, touraine, django_assert_max_num_queries, role):
    client.force_login(getattr(touraine, role))
    url = reverse("governance:ctg", args=[touraine.ctg_own.pk])
    grow(touraine, 2)
    with django_assert_max_num_queries(10) as small:
        assert client.get(url).status_code == 200
    grow(touraine, 25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Partenariat ") >= 27
