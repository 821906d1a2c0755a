import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopctg.actionplan.models import Action, Indicator, IndicatorValue
from coopctg.agreements.models import FundingAgreement
from coopctg.framework.loader import load_framework
from coopctg.framework.models import ExpectedOutput
from coopctg.governance.models import Highlight, Meeting
from coopctg.reports.evaluation import ctg_evaluation, evaluation_html
from coopctg.reports.evaluation_rules import (
    Outcome,
    Trend,
    best_level,
    evaluation_years,
    indicator_outcome,
    trend,
)
from coopctg.reports.models import AnnualReport, AttenduAssessment
from coopctg.reports.rules import Level

TODAY = dt.date(2026, 3, 1)


# --- Pure rules ----------------------------------------------------------------------------------


def test_rules():
    assert evaluation_years(dt.date(2022, 1, 1), dt.date(2026, 12, 31), TODAY) == [
        2022,
        2023,
        2024,
        2025,
        2026,
    ]
    assert evaluation_years(dt.date(2022, 1, 1), dt.date(2026, 12, 31), dt.date(2023, 5, 1)) == [
        2022,
        2023,
    ]
    assert best_level(["en_cours", "non_engage"]) is Level.EN_COURS
    assert best_level([]) is None
    assert trend([None, Level.NON_ENGAGE, Level.REALISE, None]) is Trend.PROGRESSION
    assert trend([Level.REALISE, Level.EN_COURS]) is Trend.RECUL
    assert trend([None]) is Trend.INCONNU
    up = indicator_outcome(Decimal(40), Decimal(90), Decimal(93))
    assert up.outcome is Outcome.ATTEINTE and up.progress == Decimal("106.0")
    down = indicator_outcome(Decimal(30), Decimal(20), Decimal("19.5"))
    assert down.reached and down.progress == Decimal("105.0")
    assert indicator_outcome(Decimal(30), Decimal(20), Decimal(25)).outcome is Outcome.NON_ATTEINTE
    assert indicator_outcome(None, None, Decimal(1)).outcome is Outcome.SANS_CIBLE
    assert indicator_outcome(Decimal(1), Decimal(2), None).outcome is Outcome.SANS_VALEUR


# --- Data ----------------------------------------------------------------------------------------


def _dated(statut, year):
    """The fields a report of ``statut`` must have (transmitted and validated dates)."""
    when = dt.datetime(year + 1, 3, 1, 10, tzinfo=dt.UTC)
    fields = {"statut": statut}
    if statut != "brouillon":
        fields["premiere_transmission_le"] = fields["transmis_le"] = when
    if statut == "valide":
        fields["valide_le"] = when
    return fields


def _world(w, years, statut="valide"):
    version = load_framework()
    ctg = w.ctg_own
    ctg.date_debut, ctg.date_fin = dt.date(2022, 1, 1), dt.date(2026, 12, 31)
    ctg.save()
    cof = FundingAgreement.objects.create(
        ctg=ctg,
        collectivite=w.own,
        numero="COF-TEST-1",
        date_debut=dt.date(2022, 1, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    attendus = list(ExpectedOutput.objects.filter(objective__mission__version=version))
    levels = [Level.NON_ENGAGE, Level.EN_COURS, Level.REALISE, Level.REALISE]
    for index, year in enumerate(years):
        report = AnnualReport.objects.create(
            cof=cof, annee=year, referentiel=version, **_dated(statut, year)
        )
        AttenduAssessment.objects.bulk_create(
            AttenduAssessment(
                bilan=report,
                attendu=a,
                niveau=(levels[index] if a.code.startswith("M1") else Level.EN_COURS).value,
                commentaire="Copil tenu" if a.code == "M1.O1.A1" else "",
            )
            for a in attendus
        )
    action = Action.objects.create(ctg=ctg, code="A01", titre="Relais petite enfance")
    indicator = Indicator.objects.create(
        action=action, libelle="Assistantes maternelles", valeur_reference=40, cible=90
    )
    IndicatorValue.objects.create(indicator=indicator, year=2022, value=Decimal(45))
    IndicatorValue.objects.create(indicator=indicator, year=2024, value=Decimal(93))
    Highlight.objects.create(
        ctg=ctg,
        kind="competence",
        date=dt.date(2023, 9, 1),
        theme="jeunesse",
        intitule="Prise de la compétence jeunesse",
        description="Transfert à l'intercommunalité.",
    )
    Meeting.objects.create(ctg=ctg, kind="copil", date=dt.date(2022, 6, 16))
    Meeting.objects.create(ctg=ctg, kind="cotech", date=dt.date(2022, 3, 14))
    Meeting.objects.create(ctg=ctg, kind="groupe_travail", date=dt.date(2023, 4, 1))
    return ctg


@pytest.mark.django_db
def test_evaluation_data(touraine):
    ctg = _world(touraine, [2022, 2023, 2024, 2025])
    evaluation = ctg_evaluation(ctg, today=TODAY)
    assert evaluation.years == [2022, 2023, 2024, 2025, 2026]
    assert sum(m.count for m in evaluation.missions) == 46
    first = evaluation.missions[0].objectives[0].lines[0]
    assert first.attendu.code == "M1.O1.A1"
    assert [c.code for c in first.cells] == [
        "non_engage",
        "en_cours",
        "realise",
        "realise",
        "aucun",
    ]
    assert first.trend is Trend.PROGRESSION and first.comments[0] == (2022, "Copil tenu")
    m1 = evaluation.missions[0].evolution
    assert [c.realise for c in m1] == [0, 0, 19, 19, 0] and m1[-1].attainment is None
    assert evaluation.columns[0].note == "validé par la Caf"
    assert evaluation.columns[-1].note == "pas de bilan"
    competences = next(g for g in evaluation.highlights if g.kind == "competence")
    assert competences.count == 1 and competences.years[0].year == 2023
    line = evaluation.indicators[0]
    assert line.value_texts == ["45", "—", "93", "—", "—"] and line.outcome.reached
    assert evaluation.indicators_reached == 1
    gov = {g.year: g for g in evaluation.governance_years}
    assert gov[2022].copil.status.value == "conforme" and gov[2023].working_groups == 1
    assert gov[2023].copil.status.value == "non_conforme"
    assert [row.total for row in evaluation.funding] == [Decimal("0.00")]


@pytest.mark.django_db
def test_draft_bilans_are_listed_not_counted(touraine, client):
    """A fresh draft (46 × « non engagé ») neither shows its year as 0 % réalisé nor marks
    the attendus « en recul »: only its status is shown under the year."""
    ctg = _world(touraine, [2022, 2023])  # validated: M1 non engagé, then en cours
    cof = FundingAgreement.objects.get()
    version = AnnualReport.objects.first().referentiel
    draft = AnnualReport.objects.create(cof=cof, annee=2024, referentiel=version)
    AttenduAssessment.objects.bulk_create(
        AttenduAssessment(bilan=draft, attendu=a, niveau="non_engage", commentaire="brouillon")
        for a in ExpectedOutput.objects.filter(objective__mission__version=version)
    )
    evaluation = ctg_evaluation(ctg, today=TODAY)
    first = evaluation.missions[0].objectives[0].lines[0]
    assert [c.code for c in first.cells] == ["non_engage", "en_cours", "aucun", "aucun", "aucun"]
    assert first.trend is Trend.PROGRESSION
    assert all(year != 2024 for year, _ in first.comments)
    assert evaluation.missions[0].evolution[2].attainment is None
    assert evaluation.overall[2].attainment is None
    assert evaluation.last_assessed.year == 2023
    assert evaluation.columns[2].note == "brouillon, non pris en compte"
    assert not evaluation.columns[2].assessed and evaluation.columns[1].assessed
    client.force_login(touraine.admin)
    page = client.get(reverse("evaluation:ctg", args=[ctg.pk])).content.decode()
    assert "brouillon, non pris en compte" in page


@pytest.mark.django_db
def test_progress_labels_use_a_decimal_comma(touraine, client):
    ctg = _world(touraine, [2022, 2023])
    client.force_login(touraine.admin)
    page = client.get(reverse("evaluation:ctg", args=[ctg.pk])).content.decode()
    labels = re.findall(r'aria-label="réalisés ([^"]*) %"', page)
    assert labels and all("." not in label and "," in label for label in labels)
    assert 'aria-label="réalisés 0,0 %"' in page


@pytest.mark.django_db
def test_bounded_queries(touraine, client):
    client.force_login(touraine.admin)
    ctg = _world(touraine, [2022, 2023])
    url = reverse("evaluation:ctg", args=[ctg.pk])
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    version = AnnualReport.objects.first().referentiel
    cof = FundingAgreement.objects.get()
    attendus = list(ExpectedOutput.objects.filter(objective__mission__version=version))
    for year in (2024, 2025):
        report = AnnualReport.objects.create(
            cof=cof, annee=year, referentiel=version, **_dated("transmis", year)
        )
        AttenduAssessment.objects.bulk_create(
            AttenduAssessment(bilan=report, attendu=a, niveau="realise") for a in attendus
        )
    with CaptureQueriesContext(connection) as four:
        assert client.get(url).status_code == 200
    assert len(four) == len(two)


@pytest.mark.django_db
def test_page_pdf_and_scoping(touraine, client):
    ctg = _world(touraine, [2022, 2023, 2024])
    client.force_login(touraine.elu)
    page = client.get(reverse("evaluation:ctg", args=[ctg.pk]))
    text = page.content.decode()
    assert "Évaluation de fin de Ctg" in text and "Prise de la compétence jeunesse" in text
    for name in ("ctg.html", "_summary.html"):  # no inline script or style (CSP)
        source = (settings.BASE_DIR / "coopctg" / "templates" / "evaluation" / name).read_text()
        assert "style" not in source.replace("stylesheet", "") and "<script" not in source
    assert client.get(reverse("evaluation:ctg", args=[touraine.ctg_foreign.pk])).status_code == 404
    detail = client.get(reverse("ctg:detail", args=[ctg.pk])).content.decode()
    assert reverse("evaluation:ctg", args=[ctg.pk]) in detail

    html = evaluation_html(ctg_evaluation(ctg, today=TODAY))
    assert "Nouvelles prises de compétences" in html and "0,00\u00a0€" in html
    assert "M1.O1.A1" in html and "cible atteinte" in html

    response = client.get(reverse("evaluation:pdf", args=[ctg.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext absent : texte du PDF non vérifié")
    extracted = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Évaluation de fin de Ctg" in extracted
    assert "Prise de la compétence jeunesse" in extracted


@pytest.mark.django_db
def test_each_signatory_has_its_own_evaluation(touraine, client, capsys, tmp_path):
    """« à l'échelon de l'Epci ou de la commune »: two collectivités of one Ctg are never
    merged; the page, the PDF and the command evaluate one of them."""
    ctg = _world(touraine, [2022, 2023])  # own: M1 non engagé, then en cours
    ctg.signataires.add(touraine.other)
    version = AnnualReport.objects.first().referentiel
    cof_other = FundingAgreement.objects.create(
        ctg=ctg,
        collectivite=touraine.other,
        numero="COF-TEST-2",
        date_debut=dt.date(2022, 1, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    report = AnnualReport.objects.create(
        cof=cof_other, annee=2022, referentiel=version, **_dated("valide", 2022)
    )
    AttenduAssessment.objects.bulk_create(
        AttenduAssessment(bilan=report, attendu=a, niveau=Level.REALISE.value)
        for a in ExpectedOutput.objects.filter(objective__mission__version=version)
    )
    own = ctg_evaluation(ctg, today=TODAY, collectivite=touraine.own)
    other = ctg_evaluation(ctg, today=TODAY, collectivite=touraine.other)
    first = [m.objectives[0].lines[0] for m in (own.missions[0], other.missions[0])]
    # 2022: « non engagé » for own, « réalisé » for other — not the best of both
    assert [line.cells[0].code for line in first] == ["non_engage", "realise"]
    assert [row.cof.numero for row in own.funding] == ["COF-TEST-1"]
    assert [row.cof.numero for row in other.funding] == ["COF-TEST-2"]
    # the page: one evaluation per signatory, chosen by ?collectivite=
    client.force_login(touraine.admin)
    url = reverse("evaluation:ctg", args=[ctg.pk])
    page = client.get(url).content.decode()
    assert f"?collectivite={touraine.other.pk}" in page  # the other one is offered
    page = client.get(url, {"collectivite": touraine.other.pk}).content.decode()
    assert f"{reverse('evaluation:pdf', args=[ctg.pk])}?collectivite={touraine.other.pk}" in page
    # an editor sees only their own collectivité's evaluation, whatever the parameter
    client.force_login(touraine.editor)
    page = client.get(url, {"collectivite": touraine.other.pk}).content.decode()
    assert f"?collectivite={touraine.other.pk}" not in page
    assert touraine.own.nom in page
    # the command: the collectivité is required when there are several
    with pytest.raises(SystemExit) as exit_:
        call_command("evaluation", "pdf", "--ctg", str(ctg.pk), "--sortie", "x.pdf")
    assert exit_.value.code == 2
    assert "plusieurs signataires : précisez --collectivite" in capsys.readouterr().err
    target = tmp_path / "eval.pdf"
    call_command(
        "evaluation",
        "pdf",
        "--ctg",
        str(ctg.pk),
        "--collectivite",
        touraine.other.code,
        "--sortie",
        str(target),
    )
    assert target.read_bytes().startswith(b"%PDF")
