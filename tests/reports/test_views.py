"""The bilan pages in the browser: the whole cycle, the PDF, bounded queries."""

import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from coopctg.accounts.roles import Role
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
    response = client.post(
        reverse("reports:transmit", args=[report.pk]), {"transmit-revision": rev}
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
    client.post(reverse("reports:transmit", args=[report.pk]), {"transmit-revision": rev})
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


def grow(w, n):
    from coopctg.reports import workflow

    for i in range(n):
        la = LocalAuthorityFactory(caf=w.caf)
        ctg = CtgFactory(caf=w.caf, signataires=[la])
        cof = make_cof(w.admin, ctg, la, f"COF-37-2022-{500 + i}")
        editor = member(Role.COLLECTIVITE_EDITOR, collectivite=la)
        workflow.do_create_report(editor, cof, 2023)


def test_queries_do_not_grow(client, touraine, report, django_assert_max_num_queries):
    client.force_login(touraine.admin)
    urls = [reverse("reports:list"), reverse("reports:detail", args=[report.pk])]
    counts = []
    for url in urls:
        with django_assert_max_num_queries(60) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    grow(touraine, 4)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200
