"""The pages of mission 2, end to end in the browser's way (Django's test client): a
diagnostic validated in Copil with its enjeux linked to actions, the register of besoins and
its synthesis, a commission whose alert is closed by its follow-up, the objectifs de
développement per collectivité."""

import datetime as dt

import pytest
from django.urls import reverse

from coopctg.diagnostic.models import CommissionFollowUp, DevelopmentTarget, Diagnostic, Need
from tests.diagnostic.helpers import add_action, add_commission, add_copil, add_highlight

TODAY = dt.date(2025, 9, 15)


@pytest.fixture
def today(monkeypatch):
    from django.utils import timezone

    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def test_a_diagnostic_validated_in_copil_with_enjeux_linked_to_actions(client, touraine, today):
    ctg = touraine.ctg_own
    action = add_action(ctg)
    orphan = add_action(ctg, code="A02", titre="Créer un conseil de jeunes")
    copil = add_copil(ctg)
    client.force_login(touraine.editor)

    response = client.post(
        reverse("diagnostic:version_create", args=[ctg.pk]),
        {
            "titre": "Diagnostic partagé 2024",
            "date": "2024-05-30",
            "contexte": "Un territoire rural de 21 communes.",
            "partenaires": "PMI\nÉducation nationale",
            "habitants": "Questionnaire aux familles : 212 réponses.",
            "methode": "Trois ateliers thématiques.",
            "instances": [copil.pk],
        },
    )
    diagnostic = Diagnostic.objects.get(ctg=ctg)
    assert response.status_code == 302
    assert response["Location"] == reverse("diagnostic:version", args=[diagnostic.pk])
    assert diagnostic.version == 1 and not diagnostic.validated

    response = client.post(
        reverse("diagnostic:enjeu_create", args=[diagnostic.pk]),
        {
            "theme": "petite_enfance",
            "intitule": "Manque de places d'accueil du jeune enfant au nord du territoire",
            "constat": "Taux de couverture inférieur à celui du département.",
            "indicateurs": ["txcouv_global", "population_municipale"],
            "actions": [action.pk],
        },
    )
    assert response.status_code == 302
    client.post(
        reverse("diagnostic:enjeu_create", args=[diagnostic.pk]),
        {"theme": "jeunesse", "intitule": "Peu de lieux pour les 12-17 ans"},
    )
    page = client.get(reverse("diagnostic:version", args=[diagnostic.pk])).content.decode()
    assert "Manque de places d&#x27;accueil" in page
    assert "A01 — Ouvrir un relais petite enfance" in page
    assert "Taux de couverture global de l&#x27;accueil du jeune enfant" in page
    assert "Enjeux sans action (1)" in page and "Peu de lieux pour les 12-17 ans" in page
    assert "Actions sans enjeu (1)" in page and f"{orphan.code} — {orphan.titre}" in page

    response = client.post(
        reverse("diagnostic:version_validate", args=[diagnostic.pk]), {"copil": copil.pk}
    )
    assert response.status_code == 302
    diagnostic.refresh_from_db()
    assert diagnostic.validated and diagnostic.valide_le == copil.date
    page = client.get(reverse("diagnostic:ctg", args=[ctg.pk])).content.decode()
    assert "validée en Copil" in page
    assert reverse("governance:instance", args=[copil.pk]) in page

    # a validated version no longer changes; the next one starts from its enjeux
    response = client.get(reverse("diagnostic:version_edit", args=[diagnostic.pk]))
    assert response.status_code == 302
    response = client.post(
        reverse("diagnostic:version_create", args=[ctg.pk]),
        {"titre": "Diagnostic partagé 2025", "date": "2025-09-01"},
    )
    second = Diagnostic.objects.get(ctg=ctg, version=2)
    assert second.enjeux.count() == 2
    assert list(second.enjeux.get(theme="petite_enfance").actions.all()) == [action]

    pdf = client.get(reverse("diagnostic:version_pdf", args=[diagnostic.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_the_register_of_besoins_and_its_synthesis(client, touraine, today):
    ctg = touraine.ctg_own
    client.force_login(touraine.editor)
    url = reverse("diagnostic:need_create", args=[ctg.pk])
    base = {
        "date": "2025-03-10",
        "commune": touraine.commune_own.pk,
        "theme": "petite_enfance",
        "tranche_age": "0-3",
        "nature": "horaires",
        "source": "service",
        "description": "Un accueil avant 7 h 30 pour des parents en horaires décalés.",
    }
    assert client.post(url, base).status_code == 302
    assert (
        client.post(
            url, base | {"nature": "place", "repondu": "on", "reponse": "Orientée vers le RPE."}
        ).status_code
        == 302
    )
    refused = client.post(url, base | {"description": "Mme Martin, joignable au 06 12 34 56 78"})
    assert refused.status_code == 400
    assert "retirez le numéro de téléphone" in refused.content.decode()
    no_answer = client.post(url, base | {"repondu": "on", "reponse": ""})
    assert "Dites quelle réponse a été apportée" in no_answer.content.decode()
    assert Need.objects.filter(ctg=ctg).count() == 2

    page = client.get(reverse("diagnostic:needs", args=[ctg.pk]) + "?annee=2025").content.decode()
    assert "2 besoins, 1 avec une réponse apportée, 1 sans réponse" in page
    assert "Neuvy-le-Roi" in page


def test_a_commission_under_its_threshold_raises_an_alert_closed_by_its_follow_up(
    client, touraine, today
):
    ctg = touraine.ctg_own
    commission = add_commission(ctg)
    client.force_login(touraine.editor)
    page = client.get(reverse("diagnostic:commission", args=[commission.pk])).content.decode()
    assert "alerte ouverte" in page and "sous le seuil de 20" in page
    url = reverse("diagnostic:follow_up", args=[commission.pk, "qf_bas"])
    response = client.post(
        url,
        {
            "etape": "faire_corriger",
            "qui": "La chargée de coopération, avec la directrice du multi-accueil",
            "quoi": "Relecture des critères de priorité avec le gestionnaire.",
            "quand": "2025-06-10",
            "resultat": "Deux places réservées aux familles sous le seuil à la rentrée.",
        },
    )
    assert response.status_code == 302
    assert CommissionFollowUp.objects.filter(commission=commission, critere="qf_bas").exists()
    page = client.get(reverse("diagnostic:commission", args=[commission.pk])).content.decode()
    assert "alerte close" in page and "alerte ouverte" not in page
    # no alert on that criterion of another commission: no follow-up page
    calm = add_commission(ctg, qf_bas=10)
    assert client.get(reverse("diagnostic:follow_up", args=[calm.pk, "qf_bas"])).status_code == 404


def test_objectifs_de_developpement_per_collectivite_with_history(client, touraine, today):
    ctg = touraine.ctg_own
    copil = add_copil(ctg, dt.date(2024, 6, 20))
    add_highlight(ctg)
    client.force_login(touraine.editor)
    url = reverse("diagnostic:target_create", args=[ctg.pk])
    initial = {
        "collectivite": touraine.own.pk,
        "kind": "service",
        "cible": 3,
        "date_effet": "2022-01-01",
    }
    assert client.post(url, initial).status_code == 302
    # a second target without a Copil is refused: a change is a Copil's decision
    refused = client.post(url, initial | {"cible": 2, "date_effet": "2023-01-01"})
    assert refused.status_code == 400 and "comité de pilotage" in refused.content.decode()
    changed = client.post(
        url, initial | {"cible": 2, "copil": copil.pk, "decision": "Objectif ramené à 2."}
    )
    assert changed.status_code == 302
    rows = list(DevelopmentTarget.objects.filter(ctg=ctg).order_by("date_effet"))
    assert [(r.cible, r.date_effet) for r in rows] == [(3, dt.date(2022, 1, 1)), (2, copil.date)]
    page = client.get(reverse("diagnostic:targets", args=[ctg.pk])).content.decode()
    assert "1 à réaliser" in page and "Objectif ramené à 2." in page


def test_forms_refuse_with_the_error_next_to_the_field(client, touraine, today):
    ctg = touraine.ctg_own
    client.force_login(touraine.editor)
    response = client.post(
        reverse("diagnostic:commission_create", args=[ctg.pk]),
        {
            "date": "2025-05-15",
            "intitule": "Commission petite enfance",
            "theme": "petite_enfance",
            "services": "Multi-accueil",
            "places": 20,
            "demandes": 10,
            "admissions": 12,
            "qf_bas": 13,
            "monoparentales": 0,
            "handicap": 0,
            "qpv": 0,
            "insertion": 0,
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["admissions"] == ["Plus d'admissions (12) que de demandes examinées (10)."]
    diagnostic = Diagnostic.objects.create(ctg=ctg, version=1, date=dt.date(2025, 1, 10))
    response = client.post(
        reverse("diagnostic:enjeu_create", args=[diagnostic.pk]),
        {"theme": "jeunesse", "intitule": "Un enjeu", "indicateurs": ["inconnu"]},
    )
    assert response.status_code == 400 and "indicateurs" in response.context["form"].errors
    response = client.post(
        reverse("diagnostic:version_validate", args=[diagnostic.pk]),
        {"copil": add_copil(touraine.ctg_other).pk},
    )
    assert response.status_code == 400 and "copil" in response.context["form"].errors
    future = add_copil(ctg, dt.date(2025, 12, 1))
    response = client.post(
        reverse("diagnostic:version_validate", args=[diagnostic.pk]), {"copil": future.pk}
    )
    assert response.status_code == 400  # not held yet: not among the choices
    diagnostic.refresh_from_db()
    assert not diagnostic.validated


def test_an_enjeu_of_a_draft_is_deleted_not_one_of_a_validated_version(client, touraine, today):
    from coopctg.diagnostic.models import Enjeu

    ctg = touraine.ctg_own
    diagnostic = Diagnostic.objects.create(ctg=ctg, version=1, date=dt.date(2025, 1, 10))
    enjeu = Enjeu.objects.create(diagnostic=diagnostic, theme="enfance", intitule="Un enjeu")
    client.force_login(touraine.editor)
    url = reverse("diagnostic:enjeu_edit", args=[enjeu.pk])
    assert client.post(url, {"supprimer": "1"}).status_code == 302
    assert not Enjeu.objects.filter(pk=enjeu.pk).exists()
    copil = add_copil(ctg)
    kept = Enjeu.objects.create(diagnostic=diagnostic, theme="enfance", intitule="Gardé")
    diagnostic.copil, diagnostic.valide_le = copil, copil.date
    diagnostic.save()
    response = client.post(reverse("diagnostic:enjeu_edit", args=[kept.pk]), {"supprimer": "1"})
    assert response.status_code == 302 and Enjeu.objects.filter(pk=kept.pk).exists()


def test_faits_marquants_attributed_to_a_signatory(client, touraine, today):
    from coopctg.diagnostic.targets import development_outcomes

    ctg = touraine.ctg_own
    ctg.signataires.add(touraine.other)
    laep = add_highlight(ctg)
    client.force_login(touraine.admin)
    url = reverse("diagnostic:attributions", args=[ctg.pk])
    assert client.post(url, {f"fait_{laep.pk}": [touraine.own.pk]}).status_code == 302
    by_name = {
        block.collectivite.pk: next(k for k in block.kinds if k.kind == "service")
        for block in development_outcomes(ctg, TODAY)
    }
    assert by_name[touraine.own.pk].outcome.achieved == 1
    assert by_name[touraine.other.pk].outcome.achieved == 0


def test_an_action_answering_an_enjeu_is_kept_and_says_why(touraine):
    from coopctg.actionplan.models import Action
    from coopctg.actionplan.services import dependent_data
    from coopctg.diagnostic.models import Enjeu

    ctg = touraine.ctg_own
    action = Action.objects.create(ctg=ctg, code="E1", titre="Action d'un enjeu")
    diagnostic = Diagnostic.objects.create(ctg=ctg, version=1, date=dt.date(2025, 1, 10))
    enjeu = Enjeu.objects.create(diagnostic=diagnostic, theme="enfance", intitule="Un enjeu")
    enjeu.actions.set([action])
    assert dependent_data([action]) == {action.pk: ["référencée par : enjeux du diagnostic"]}
