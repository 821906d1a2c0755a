"""Mission 4 in the bilan annuel: the year's consultations, supports and watch notes in the
facts (frozen at transmission), and, next to each attendu of mission 4, the records that
support its self-assessment."""

import datetime as dt

from django.urls import reverse

from coopctg.participation.facts import attendu_evidence, mission4_facts
from coopctg.reports.facts import report_facts
from tests.participation.helpers import (
    add_consultation,
    add_participation,
    add_questionnaire,
    add_support,
    add_watch_note,
    answer,
)


def _records(ctg):
    consultation = add_consultation(
        ctg, formats=["aller_vers", "questionnaire"], suites="Un LAEP itinérant est créé."
    )
    add_participation(consultation, "familles", 30)
    add_participation(consultation, "elus", 4)
    questionnaire = add_questionnaire(consultation)
    answer(questionnaire)
    answer(questionnaire, mode="Aucun")
    add_consultation(ctg, day=dt.date(2023, 3, 1), intitule="Consultation de 2023")
    add_support(ctg, falc=True, langues="anglais", portee=500)
    add_support(ctg, type="page_web", titre="Page du RPE", portee=None)
    add_watch_note(ctg)
    add_watch_note(
        ctg, type="veille", destinataires=["institutions"], suite="Transmis au Département"
    )
    return consultation


def test_the_years_facts_and_the_evidence_per_attendu(touraine):
    ctg = touraine.ctg_own
    _records(ctg)
    facts = mission4_facts(ctg, 2025)["participation"]
    assert [c["intitule"] for c in facts["consultations"]] == [
        "Consultation des familles sur l'accueil du jeune enfant"
    ]
    assert facts["participants"] == 34 and facts["reponses_questionnaires"] == 2
    assert facts["supports"]["nombre"] == 2 and facts["supports"]["falc"] == 1
    assert facts["supports"]["portee_connue"] == 500
    assert facts["veille"] == facts["veille"] | {
        "notes": 1,
        "alertes": 1,
        "suivies": 1,
        "vers_elus": 1,
    }
    evidence = attendu_evidence({"participation": facts})
    assert set(evidence) == {
        "M4.O1.A1",
        "M4.O1.A2",
        "M4.O1.A3",
        "M4.O2.A1",
        "M4.O2.A2",
        "M4.O2.A3",
        "M4.O3.A1",
        "M4.O3.A2",
        "M4.O3.A3",
    }
    assert evidence["M4.O1.A1"][0].startswith("1 consultation des habitants, 34 participants")
    assert "1 support en FALC" in evidence["M4.O2.A1"][0]
    assert evidence["M4.O3.A3"] == ["1 note ou alerte(s) adressée(s) aux élus"]
    # Nothing recorded in 2022: no evidence; facts of version 2 (before mission 4): none.
    assert attendu_evidence(mission4_facts(ctg, 2022)) == {}
    assert attendu_evidence({"version": 2}) == {}


def test_report_page_shows_the_records_next_to_the_attendus(client, touraine):
    from coopctg.framework.loader import load_framework
    from coopctg.reports import workflow
    from tests.agreements.helpers import build_agreements

    load_framework()
    build_agreements(touraine)
    cof = touraine.cof_own
    _records(cof.ctg)
    report = workflow.do_create_report(touraine.editor, cof, 2025)
    facts = report_facts(cof, 2025)
    assert facts["version"] == 3 and facts["participation"]["participants"] == 34
    client.force_login(touraine.editor)
    html = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Concertation et participation des habitants" in html
    assert html.count("qui l'appuient") == 9  # the nine attendus of mission 4
    assert "34 participants" in html


def test_evaluation_counts_mission_4_year_by_year(client, touraine):
    from coopctg.reports.evaluation import ctg_evaluation

    ctg = touraine.ctg_own
    _records(ctg)
    evaluation = ctg_evaluation(ctg, today=dt.date(2025, 12, 31))
    by_year = {y.year: y for y in evaluation.population}
    assert (by_year[2025].consultations, by_year[2025].participants) == (1, 34)
    assert (by_year[2025].answers, by_year[2025].supports) == (2, 2)
    assert (by_year[2025].notes, by_year[2025].alerts) == (1, 1)
    assert by_year[2023].consultations == 1 and by_year[2024].consultations == 0
    client.force_login(touraine.editor)
    html = client.get(reverse("evaluation:ctg", args=[ctg.pk])).content.decode()
    assert "Relation avec la population, année par année" in html
