"""The bilan pages in the browser: the whole cycle, the PDF, bounded queries."""

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from coopctg.accounts.roles import Role
from coopctg.actionplan.models import Action, Indicator, IndicatorValue
from coopctg.governance.models import Highlight, Meeting
from coopctg.reports.models import AnnualReport
from coopctg.reports.services import cof_amount_due, cof_payment
from tests.agreements.helpers import make_cof
from tests.factories import CtgFactory, LocalAuthorityFactory, member


def form_data(client, url):
    """The page's assessment form as a browser would post it (current values)."""
    page = client.get(url).content.decode()
    data = {"revision": re.search(r'name="revision" value="(\d+)"', page).group(1)}
    for pk in re.findall(r'name="niveau_(\d+)"', page):
        data[f"niveau_{pk}"] = "non_engage"
        data[f"commentaire_{pk}"] = ""
    data["synthese"] = ""
    data["perspectives"] = ""
    return data, page


def revision(report):
    report.refresh_from_db()
    return str(report.revision)


def test_write_transmit_send_back_complete_validate(client, touraine, cof):
    w = touraine
    client.force_login(w.editor)
    listing = client.get(reverse("reports:list")).content.decode()
    assert "Créer le bilan 2024" in listing
    response = client.post(reverse("reports:create", args=[cof.pk, 2024]))
    report = AnnualReport.objects.get(cof=cof, annee=2024)
    url = reverse("reports:detail", args=[report.pk])
    assert response["Location"] == url

    data, page = form_data(client, url)
    assert page.count("<fieldset") == 46 and "Mission" in page
    pks = [k.removeprefix("niveau_") for k in data if k.startswith("niveau_")]
    data[f"niveau_{pks[0]}"] = "realise"
    data[f"commentaire_{pks[0]}"] = "Diagnostic de territoire partagé."
    data["synthese"] = "Année de lancement."
    assert client.post(url, data).status_code == 302
    assert report.evaluations.get(pk=pks[0]).niveau == "realise"

    bad = dict(data, **{f"niveau_{pks[1]}": "parfait"})
    response = client.post(url, bad)
    assert response.status_code == 400 and "field-error" in response.content.decode()

    rev = revision(report)
    # irreversible: the page asks for a confirmation first
    response = client.post(
        reverse("reports:transmit", args=[report.pk]), {"transmit-revision": rev}
    )
    assert response.status_code == 200 and "Confirmer la transmission" in response.content.decode()
    assert revision(report) == rev and report.statut == "brouillon"
    response = client.post(
        reverse("reports:transmit", args=[report.pk]),
        {"transmit-revision": rev, "transmit-confirme": "1"},
    )
    assert response.status_code == 302
    assert revision(report) and report.statut == "transmis"

    client.force_login(w.advisor)
    page = client.get(url).content.decode()
    assert "Renvoyer à compléter" in page and "<fieldset" not in page
    send_back = reverse("reports:send_back", args=[report.pk])
    rev = revision(report)
    response = client.post(send_back, {"send_back-revision": rev, "send_back-commentaire": ""})
    assert (
        response.status_code == 400
        and "ce qu&#x27;elle doit compléter" in response.content.decode()
    )
    response = client.post(
        send_back, {"send_back-revision": rev, "send_back-commentaire": "Détaillez la mission 2."}
    )
    assert response.status_code == 302 and revision(report) and report.statut == "a_completer"

    client.force_login(w.editor)
    data, page = form_data(client, url)
    assert "Détaillez la mission 2." in page
    data[f"niveau_{pks[5]}"] = "en_cours"
    assert client.post(url, data).status_code == 302
    rev = revision(report)
    client.post(
        reverse("reports:transmit", args=[report.pk]),
        {"transmit-revision": rev, "transmit-confirme": "1"},
    )
    assert revision(report) and report.statut == "transmis"

    client.force_login(w.advisor)
    rev = revision(report)
    response = client.post(
        reverse("reports:validate", args=[report.pk]), {"validate-revision": rev}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "solde libéré" in page and "validé par la Caf" in page
    report.refresh_from_db()
    payment = cof_payment(cof, 2024, cof_amount_due(cof, 2024), report)
    assert payment.balance_released


def test_stale_page_is_refused(client, touraine, report):
    client.force_login(touraine.editor)
    url = reverse("reports:detail", args=[report.pk])
    data, _ = form_data(client, url)
    assert client.post(url, data).status_code == 302
    response = client.post(url, data)  # same revision again
    assert response.status_code == 400 and "a changé" in response.content.decode()


def test_readers_cannot_post(client, touraine, report):
    for role in ("elu", "analyst", "advisor"):
        client.force_login(getattr(touraine, role))
        url = reverse("reports:detail", args=[report.pk])
        assert client.post(url, {"revision": "1"}).status_code == 404
        assert client.post(reverse("reports:transmit", args=[report.pk]), {}).status_code == 404


def test_pdf_shows_the_four_missions_and_the_facts(client, touraine, report):
    from coopctg.reports.documents import report_html

    html = report_html(report)
    assert html.count("Mission :") == 4
    assert "Instances tenues" in html and "48\u202f000,00\u00a0€" in html
    client.force_login(touraine.elu)
    response = client.get(reverse("reports:pdf", args=[report.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext absent")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert text.count("Mission :") == 4
    assert "Etp et financement de l" in text and "Faits marquants" in text


def grow(w, n, start):
    """What the bilan's page reads, ``n`` more times, on the bilan's own Ctg and year (2024):
    actions with indicators and values, meetings, faits marquants."""
    for i in range(start, start + n):
        action = Action.objects.create(ctg=w.ctg_own, code=f"A{i:02}", titre=f"Action {i}")
        indicator = Indicator.objects.create(
            action=action, libelle=f"Indicateur {i}", valeur_reference=10, cible=20
        )
        IndicatorValue.objects.create(indicator=indicator, year=2024, value=Decimal(15))
        Meeting.objects.create(ctg=w.ctg_own, kind="cotech", date=dt.date(2024, 3, 1 + i))
        Highlight.objects.create(
            ctg=w.ctg_own,
            kind="service",
            date=dt.date(2024, 5, 1 + i),
            theme="jeunesse",
            intitule=f"Service {i}",
            description="Ouverture.",
        )


def test_queries_do_not_grow(client, touraine, report, django_assert_max_num_queries):
    client.force_login(touraine.admin)
    url = reverse("reports:detail", args=[report.pk])
    grow(touraine, 1, 0)
    with django_assert_max_num_queries(60) as captured:
        page = client.get(url)
    assert page.status_code == 200 and "Service 0" in page.content.decode()
    count = len(captured.captured_queries)
    grow(touraine, 5, 1)
    with django_assert_max_num_queries(count):
        page = client.get(url).content.decode()
    assert "Service 5" in page and "Indicateur 5" in page and "A05" in page


def grow_cofs(w, n):
    from coopctg.reports import workflow

    for i in range(n):
        la = LocalAuthorityFactory(caf=w.caf)
        ctg = CtgFactory(caf=w.caf, signataires=[la])
        cof = make_cof(w.admin, ctg, la, f"COF-37-2022-{500 + i}")
        editor = member(Role.COLLECTIVITE_EDITOR, collectivite=la)
        workflow.do_create_report(editor, cof, 2023)


def test_list_queries_do_not_grow(client, touraine, report, django_assert_max_num_queries):
    """The list shows every Cof the Caf's administrator sees: more Cofs, same queries."""
    client.force_login(touraine.admin)
    url = reverse("reports:list")
    with django_assert_max_num_queries(60) as captured:
        assert client.get(url).status_code == 200
    grow_cofs(touraine, 4)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert client.get(url).content.decode().count("COF-37-2022-50") >= 4


def test_list_looks_at_each_caf_parameter_files_once(client, touraine, report, monkeypatch):
    """Every row's deadline comes from the Caf's dated parameters: within the request their
    files are looked at once per Caf (and family root), not once per (Cof, year) row."""
    from coopctg.core import caf_params

    looked = []
    signature = caf_params.signature

    def counting(root, caf):
        looked.append((str(root), caf))
        return signature(root, caf)

    grow_cofs(touraine, 4)
    client.force_login(touraine.admin)
    monkeypatch.setattr(caf_params, "signature", counting)
    page = client.get(reverse("reports:list"))
    assert page.content.decode().count("COF-37-2022-50") >= 4
    assert looked and len(looked) == len(set(looked))


def test_list_computes_the_deadlines_of_its_page_only(client, touraine, report, monkeypatch):
    """Without a state filter, only the rows shown get their deadline and timeliness; with
    « en retard », every row's state decides (and the page still shows them)."""
    from coopctg.www import pagination
    from coopctg.www.reports_views import views

    grow_cofs(touraine, 4)
    computed = []
    state = views._state

    def counting(cof, year, report, today):
        computed.append((cof.pk, year))
        return state(cof, year, report, today)

    monkeypatch.setattr(views, "_state", counting)
    monkeypatch.setattr(pagination, "PER_PAGE", 3)
    client.force_login(touraine.admin)
    page = client.get(reverse("reports:list")).content.decode()
    assert len(computed) == 3 and "Pages des bilans" in page
    computed.clear()
    assert client.get(reverse("reports:list") + "?etat=en_retard").status_code == 200
    assert len(computed) > 3


# --- A Cof that starts before the deadline parameter (01/01/2022) ------------------------------


def test_cof_starting_before_the_parameters_does_not_break_the_pages(client, touraine, framework):
    from coopctg.agreements.models import FundingAgreement
    from coopctg.reports.services import annual_report_fact, report_state
    from tests.factories import seed_architecture

    w = touraine
    architecture = seed_architecture(w.ctg_own, w.own)
    cof = FundingAgreement.objects.create(
        ctg=w.ctg_own,
        collectivite=w.own,
        numero="COF-37-2021-001",
        date_debut=dt.date(2021, 7, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    assert report_state(cof, 2021, dt.date(2025, 2, 15)).due is None
    fact = annual_report_fact(w.ctg_own.pk, w.own.pk, dt.date(2025, 2, 15))
    assert (fact.year, fact.due) == (2023, dt.date(2024, 3, 31))  # 2021 is skipped
    client.force_login(w.editor)
    page = client.get(reverse("funding:architecture", args=[architecture.pk]))
    assert page.status_code == 200  # the condition reads the Cof's bilans (real today)
    assert re.search(r"bilan 20\d\d (non transmis|à transmettre)", page.content.decode())
    listing = client.get(reverse("reports:list"))
    assert listing.status_code == 200 and "échéance non paramétrée" in listing.content.decode()
    report = AnnualReport.objects.get(
        pk=client.post(reverse("reports:create", args=[cof.pk, 2021]))["Location"]
        .rstrip("/")
        .split("/")[-1]
    )
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "non paramétrée" in page


# --- Nothing typed is lost when the bilan changed meanwhile ------------------------------------


def test_refused_decision_says_why_and_gives_the_comment_back(client, touraine, report):
    from coopctg.reports import workflow

    report = workflow.do_transmit(touraine.editor, report)
    rev = revision(report)
    workflow.do_validate(touraine.admin, report)  # meanwhile, the administrator validates
    client.force_login(touraine.advisor)
    response = client.post(
        reverse("reports:send_back", args=[report.pk]),
        {"send_back-revision": rev, "send_back-commentaire": "Détaillez la mission 2, svp."},
    )
    page = response.content.decode()
    assert response.status_code == 409 and 'role="alert"' in page
    assert "validé par la Caf" in page and "Détaillez la mission 2, svp." in page
    report.refresh_from_db()
    assert report.statut == "valide"


def test_save_of_a_bilan_transmitted_meanwhile_keeps_what_was_typed(client, touraine, report):
    from coopctg.reports import workflow

    client.force_login(touraine.editor)
    url = reverse("reports:detail", args=[report.pk])
    data, _ = form_data(client, url)
    workflow.do_transmit(touraine.editor, report)  # in another tab
    pk = next(k for k in data if k.startswith("niveau_"))
    data |= {pk: "realise", "synthese": "Une synthèse écrite longuement."}
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 409 and 'role="alert"' in page
    assert (
        "Ce bilan a été transmis entre-temps : vos modifications n&#x27;ont pas été enregistrées."
        in page
    )
    assert "Une synthèse écrite longuement." in page and "<fieldset" in page
    assert re.search(r'<fieldset class="rp-unsaved" disabled>', page)
    assert re.search(rf'name="{pk}" value="realise"[^>]*checked', page)
    report.refresh_from_db()
    assert report.synthese == "" and report.statut == "transmis"


# --- Payment block = versements schedule -------------------------------------------------------


def test_payment_block_follows_the_signed_versions(client, touraine, cof, report):
    """The bilan's page and PDF show the payment of the versements schedule (live signed
    versions); the amount frozen at transmission stays in the facts."""
    from coopctg.agreements.services import sign_version
    from coopctg.core.formats import format_euros
    from coopctg.reports import workflow
    from coopctg.reports.documents import report_html
    from coopctg.reports.payments import cof_schedule
    from tests.agreements.helpers import MOVED, version_input

    report = workflow.do_transmit(touraine.editor, report)
    assert report.faits["financement"]["montant_du"] == "48000.00"
    sign_version(
        touraine.admin,
        cof,
        version_input(MOVED, dt.date(2024, 1, 1), motif="Mme Y passe à 0,7 Etp"),
        date_signature=dt.date(2023, 12, 15),
        generate_document=False,
    )
    row = next(r for r in cof_schedule(cof) if r.year == 2024)
    assert row.amount_due != Decimal("48000.00")
    client.force_login(touraine.elu)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    block = page[
        page.index('id="paiement-titre"') : page.index(
            "</section>", page.index('id="paiement-titre"')
        )
    ]
    for amount in (row.amount_due, row.advance, row.balance):
        assert format_euros(amount, cents=True) in block
    assert format_euros(Decimal("48000"), cents=True) not in block
    assert format_euros(Decimal("48000"), cents=True) in page  # the frozen facts
    html = report_html(report)
    assert f"{format_euros(row.amount_due, cents=True)} (acompte" in html


# --- « Transmettre le bilan… » : saved, then confirmed ------------------------------------------


def test_transmit_saves_then_asks_for_a_confirmation(client, touraine, cof, report):
    client.force_login(touraine.editor)
    url = reverse("reports:detail", args=[report.pk])
    data, page = form_data(client, url)
    # one transmit button, after the facts of the year
    assert page.count('name="transmettre"') == 1
    assert page.index('id="faits-titre"') < page.index('name="transmettre"')
    pk = next(k for k in data if k.startswith("niveau_"))
    data |= {
        pk: "realise",
        "synthese": "Dernière phrase.",
        "transmettre": "1",
        "transmit-commentaire": "Bilan complet.",
    }
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200 and "Confirmer la transmission du bilan 2024" in page
    assert "Bilan complet." in page and "data-focus" in page  # focus moves to the question
    report.refresh_from_db()  # saved, not transmitted yet
    assert report.statut == "brouillon" and report.synthese == "Dernière phrase."
    assert report.evaluations.get(pk=pk.removeprefix("niveau_")).niveau == "realise"
    confirm = {
        "transmit-revision": str(report.revision),
        "transmit-commentaire": "Bilan complet.",
        "transmit-confirme": "1",
    }
    assert client.post(reverse("reports:transmit", args=[report.pk]), confirm).status_code == 302
    report.refresh_from_db()
    assert report.statut == "transmis" and report.faits
    event = report.evenements.get()
    assert event.kind == "transmission" and event.commentaire == "Bilan complet."


def test_a_section_saved_returns_to_that_section(client, touraine, cof, report):
    client.force_login(touraine.editor)
    url = reverse("reports:detail", args=[report.pk])
    data, page = form_data(client, url)
    assert 'href="#mission-3"' in page and "0 / 46" in page  # the menu and the progress
    pk = next(k for k in data if k.startswith("niveau_"))
    response = client.post(url, dict(data, **{pk: "en_cours", "section": "mission-3"}))
    assert response.status_code == 302 and response["Location"] == f"{url}#mission-3"
    assert "1 / 46" in client.get(url).content.decode()
    data, _ = form_data(client, url)  # the revision after the save
    response = client.post(url, dict(data, section="javascript:alert(1)"))
    assert response["Location"] == url  # an unknown section: the top of the page


def test_current_year_cannot_be_transmitted_from_the_page(client, touraine, cof):
    from coopctg.reports import workflow

    current = workflow.do_create_report(touraine.editor, cof, 2025)  # TODAY: 15/02/2025
    client.force_login(touraine.editor)
    url = reverse("reports:detail", args=[current.pk])
    data, page = form_data(client, url)
    assert "à partir du 01/01/2026" in page and 'name="transmettre"' not in page
    assert reverse("reports:transmit", args=[current.pk]) not in page
    response = client.post(url, dict(data, synthese="Brouillon 2025", transmettre="1"))
    assert response.status_code == 400 and "à partir du 01/01/2026" in response.content.decode()
    current.refresh_from_db()  # saved all the same, not transmitted
    assert current.statut == "brouillon" and current.synthese == "Brouillon 2025"
    response = client.post(
        reverse("reports:transmit", args=[current.pk]),
        {"transmit-revision": revision(current), "transmit-confirme": "1"},
    )
    assert response.status_code == 409 and "à partir du 01/01/2026" in response.content.decode()
    data, _ = form_data(client, url)  # the revision after the save
    assert client.post(url, dict(data, synthese="Brouillon 2025")).status_code == 302


# --- Accessibility -----------------------------------------------------------------------------


def test_decision_comments_have_distinct_labels(client, touraine, report):
    from coopctg.reports import workflow

    workflow.do_transmit(touraine.editor, report)
    client.force_login(touraine.advisor)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    labels = re.findall(r'<label for="id_(?:validate|send_back)-commentaire">([^<]*)', page)
    assert labels == [
        "Commentaire de validation (facultatif)",
        "Ce que la collectivité doit compléter (obligatoire)",
    ]
    send_back = re.search(r'<textarea[^>]*name="send_back-commentaire"[^>]*>', page).group(0)
    assert " required" in send_back
    validate = re.search(r'<textarea[^>]*name="validate-commentaire"[^>]*>', page).group(0)
    assert " required" not in validate


def test_level_errors_are_linked_to_their_radios(client, touraine, report):
    client.force_login(touraine.editor)
    url = reverse("reports:detail", args=[report.pk])
    data, _ = form_data(client, url)
    name = next(k for k in data if k.startswith("niveau_"))
    page = client.post(url, dict(data, **{name: "parfait"})).content.decode()
    assert f'<div class="field-errors" id="id_{name}_error">' in page
    radios = re.findall(rf'<input type="radio" name="{name}"[^>]*>', page)
    assert len(radios) == 3
    assert all(f'aria-describedby="id_{name}_error"' in radio for radio in radios)
