"""Mission 2 in the bilan annuel (facts live, then frozen at transmission) and in the
évaluation de fin de Ctg (targets against faits marquants, per collectivité: page and PDF)."""

import datetime as dt
import shutil
import subprocess

import pytest
from django.urls import reverse

from coopctg.diagnostic import commissions, targets
from coopctg.diagnostic.models import (
    CommissionFollowUp,
    DevelopmentTarget,
    Diagnostic,
    Enjeu,
    HighlightAttribution,
    Need,
)
from coopctg.framework.loader import load_framework
from coopctg.reports import workflow
from coopctg.reports.evaluation import ctg_evaluation, evaluation_html
from coopctg.reports.facts import facts_of
from tests.agreements.helpers import make_cof
from tests.diagnostic.helpers import add_action, add_commission, add_copil, add_highlight


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext absent : texte du PDF non vérifié")
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def report(touraine, monkeypatch):
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2025, 2, 15))
    load_framework()
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    return workflow.do_create_report(touraine.editor, cof, 2024)


def seed_year(ctg, commune):
    action = add_action(ctg)
    copil = add_copil(ctg, dt.date(2024, 6, 20))
    diagnostic = Diagnostic.objects.create(
        ctg=ctg, version=1, date=dt.date(2024, 5, 30), copil=copil, valide_le=copil.date
    )
    enjeu = Enjeu.objects.create(
        diagnostic=diagnostic, theme="petite_enfance", intitule="Manque de places au nord"
    )
    enjeu.actions.set([action])
    Enjeu.objects.create(diagnostic=diagnostic, theme="jeunesse", intitule="Peu d'offre 12-17 ans")
    for nature, answered in (("place", True), ("horaires", False), ("cout", False)):
        Need.objects.create(
            ctg=ctg,
            date=dt.date(2024, 10, 1),
            commune=commune,
            theme="petite_enfance",
            tranche_age="0-3",
            nature=nature,
            source="service",
            description="Une demande entendue à l'accueil.",
            repondu=answered,
            reponse="Orientée vers le RPE." if answered else "",
        )
    return add_commission(ctg, dt.date(2024, 5, 15))


def test_the_report_shows_the_alert_until_its_follow_up_then_freezes(touraine, report, client):
    ctg = touraine.ctg_own
    commission = seed_year(ctg, touraine.commune_own)
    facts = facts_of(report, dt.date(2025, 2, 15))
    assert facts["diagnostic"]["version"] == 1
    assert facts["diagnostic"]["enjeux_sans_action"] == ["Peu d'offre 12-17 ans"]
    assert (facts["besoins"]["total"], facts["besoins"]["repondus"]) == (3, 1)
    listed = facts["commissions"]["liste"][0]
    assert facts["commissions"]["alertes_ouvertes"] == 1
    assert listed["alertes"][0]["critere"] == "qf_bas" and listed["alertes"][0]["ouverte"]
    counts = {p["critere"]: p["effectif"] for p in listed["parts"]}
    assert counts["qf_bas"] == "moins de 5" and counts["monoparentales"] == "moins de 5"
    assert counts["qpv"] == "0"

    client.force_login(touraine.editor)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Alerte ouverte" in page and "sous le seuil de 20" in page
    assert "Manque de places au nord" not in page  # the titles of the enjeux, not listed
    assert "Peu d&#x27;offre 12-17 ans" in page  # … except those without action

    commissions.save_follow_up(
        touraine.editor,
        CommissionFollowUp(
            commission=commission,
            critere="qf_bas",
            etape="faire_corriger",
            qui="La chargée de coopération",
            quoi="Relecture des critères de priorité avec le gestionnaire.",
            quand=dt.date(2024, 6, 10),
            resultat="Deux places réservées aux familles sous le seuil.",
        ),
    )
    facts = facts_of(report, dt.date(2025, 2, 15))
    alert = facts["commissions"]["liste"][0]["alertes"][0]
    assert facts["commissions"]["alertes_ouvertes"] == 0 and not alert["ouverte"]
    assert alert["suivi"]["resultat"] == "Deux places réservées aux familles sous le seuil."

    report = workflow.do_transmit(touraine.editor, report)
    assert report.faits["commissions"]["alertes"] == 1
    add_commission(ctg, dt.date(2024, 11, 5), qf_bas=0)  # after transmission: not in the report
    report.refresh_from_db()
    assert facts_of(report)["commissions"]["nombre"] == 1

    pdf = client.get(reverse("reports:pdf", args=[report.pk]))
    text = " ".join(pdf_text(pdf.content).split())
    assert "Commissions d'admission" in text and "Alerte close" in text
    assert "Besoins exprimés par les familles" in text


def test_a_report_frozen_before_mission_2_still_renders(touraine, report, client):
    """Facts frozen with version 1 have no mission 2 sections: the page says nothing of them."""
    report.statut, report.premiere_transmission_le = "transmis", report.cree_le
    report.faits = {
        k: v
        for k, v in facts_of(report).items()
        if k not in {"diagnostic", "besoins", "commissions"}
    }
    report.save()
    client.force_login(touraine.editor)
    response = client.get(reverse("reports:detail", args=[report.pk]))
    assert response.status_code == 200
    assert "Commissions d&#x27;admission" not in response.content.decode()


def test_evaluation_compares_targets_with_faits_marquants_per_collectivite(touraine, client):
    """Two signatories: each has its targets, each counts its faits marquants (one attributed
    to ``own`` only, one for both); never the best of the two."""
    ctg = touraine.ctg_own
    ctg.signataires.add(touraine.other)
    for collectivite, cible in ((touraine.own, 2), (touraine.other, 1)):
        targets.save_target(
            touraine.admin,
            DevelopmentTarget(
                ctg=ctg,
                collectivite=collectivite,
                kind="service",
                cible=cible,
                date_effet=dt.date(2022, 1, 1),
            ),
        )
    laep = add_highlight(ctg, intitule="Ouverture d'un LAEP")
    add_highlight(ctg, day=dt.date(2025, 2, 1), intitule="Relais petite enfance")
    HighlightAttribution.objects.create(highlight=laep, collectivite=touraine.own)
    today = dt.date(2027, 1, 15)  # the Ctg has ended

    own = ctg_evaluation(ctg, today=today, collectivite=touraine.own)
    other = ctg_evaluation(ctg, today=today, collectivite=touraine.other)
    [own_service] = [k for k in own.development[0].kinds if k.kind == "service"]
    [other_service] = [k for k in other.development[0].kinds if k.kind == "service"]
    assert (own_service.outcome.target, own_service.outcome.achieved) == (2, 2)
    assert own_service.outcome.status.value == "atteint"
    assert [h.intitule for h in other_service.highlights] == ["Relais petite enfance"]
    assert (other_service.outcome.achieved, other_service.outcome.status.value) == (
        1,
        "atteint",
    )
    assert len(own.development) == 1 and own.development[0].collectivite == touraine.own
    assert (own.targets_reached, own.targets_set) == (1, 1)

    html = evaluation_html(other)
    assert "Objectifs de développement et faits marquants" in html
    client.force_login(touraine.admin)
    url = reverse("evaluation:ctg", args=[ctg.pk]) + f"?collectivite={touraine.other.pk}"
    page = client.get(url).content.decode()
    assert "Objectifs de développement et faits marquants" in page
    assert "objectif atteint" in page
    pdf = client.get(reverse("evaluation:pdf", args=[ctg.pk]) + f"?collectivite={touraine.own.pk}")
    text = " ".join(pdf_text(pdf.content).split())
    assert "Objectifs de développement et faits marquants" in text
    assert "Ouverture d'un LAEP" in text and "objectif atteint" in text


def test_a_target_is_changed_by_a_copil_and_the_history_is_kept(touraine):
    ctg = touraine.ctg_own
    copil = add_copil(ctg, dt.date(2024, 6, 20))
    first = DevelopmentTarget(
        ctg=ctg,
        collectivite=touraine.own,
        kind="partenariat",
        cible=4,
        date_effet=dt.date(2022, 1, 1),
    )
    targets.save_target(touraine.editor, first)
    changed = DevelopmentTarget(
        ctg=ctg,
        collectivite=touraine.own,
        kind="partenariat",
        cible=2,
        date_effet=dt.date(2022, 1, 1),  # replaced by the Copil's date
        copil=copil,
        decision="Objectif ramené à 2 partenariats.",
    )
    targets.save_target(touraine.editor, changed)
    assert changed.date_effet == copil.date
    [block] = targets.development_outcomes(ctg, dt.date(2024, 6, 19))
    partnerships = next(k for k in block.kinds if k.kind == "partenariat")
    assert partnerships.target.cible == 4  # the day before the Copil
    [block] = targets.development_outcomes(ctg, dt.date(2024, 6, 20))
    partnerships = next(k for k in block.kinds if k.kind == "partenariat")
    assert partnerships.target.cible == 2 and len(partnerships.history) == 2
    other_copil = add_copil(touraine.ctg_other, dt.date(2024, 6, 1))
    with pytest.raises(targets.TargetError, match="comité de pilotage de cette Ctg"):
        targets.save_target(
            touraine.editor,
            DevelopmentTarget(
                ctg=ctg,
                collectivite=touraine.own,
                kind="partenariat",
                cible=1,
                date_effet=dt.date(2024, 1, 1),
                copil=other_copil,
            ),
        )
    with pytest.raises(targets.TargetError, match="signataire"):
        targets.save_target(
            touraine.editor,
            DevelopmentTarget(
                ctg=ctg,
                collectivite=touraine.other,
                kind="service",
                cible=1,
                date_effet=dt.date(2022, 1, 1),
            ),
        )
