import datetime as dt

import pytest
from django.urls import reverse

from coopctg.core.models import AuditEntry
from coopctg.ctg.models import Ctg


def form_data(w, **overrides):
    data = {
        "intitule": "Ctg Gâtine-Racan 2022-2026",
        "signataires": [w.own.pk],
        "date_debut": "2022-01-01",
        "date_fin": "2026-12-31",
        "date_signature": "2022-06-30",
        "themes": ["petite_enfance", "enfance", "jeunesse", "parentalite"],
        "statut": "signee",
    }
    data.update(overrides)
    return data


def test_list_shows_only_visible_ctg(client, touraine):
    client.force_login(touraine.editor)
    page = client.get(reverse("ctg:list")).content.decode()
    assert "Ctg Gâtine-Racan 2022-2026" in page
    assert "Ctg Saint-Pierre" not in page
    assert "Ctg Blois" not in page


def test_admin_sees_every_ctg_of_the_caf_only(client, touraine):
    client.force_login(touraine.admin)
    page = client.get(reverse("ctg:list")).content.decode()
    assert "Ctg Gâtine-Racan" in page and "Ctg Saint-Pierre" in page
    assert "Ctg Blois" not in page


def test_detail_shows_dates_in_french_and_themes(client, touraine):
    client.force_login(touraine.elu)
    page = client.get(reverse("ctg:detail", args=[touraine.ctg_own.pk])).content.decode()
    assert "du 01/01/2022 au 31/12/2026" in page
    assert "<strong>Parentalité</strong>" in page
    assert "Modifier" not in page  # the elected official reads only


def test_advisor_edits_ctg_and_history_records_before_after(client, touraine):
    client.force_login(touraine.advisor)
    url = reverse("ctg:edit", args=[touraine.ctg_own.pk])
    response = client.post(url, form_data(touraine, date_fin="2027-12-31"))
    assert response.status_code == 302
    touraine.ctg_own.refresh_from_db()
    assert touraine.ctg_own.date_fin == dt.date(2027, 12, 31)
    entry = AuditEntry.objects.get(objet_id=str(touraine.ctg_own.pk), action="modification")
    assert entry.auteur == touraine.advisor
    assert entry.avant["date_fin"] == "2026-12-31"
    assert entry.apres["date_fin"] == "2027-12-31"
    history = client.get(reverse("ctg:history", args=[touraine.ctg_own.pk])).content.decode()
    assert "31/12/2026" in history and "31/12/2027" in history


def test_unchanged_save_writes_no_history(client, touraine):
    client.force_login(touraine.admin)
    ctg = touraine.ctg_own
    data = form_data(touraine, intitule=ctg.intitule, date_signature="")
    data["statut"] = "signee"
    data["date_signature"] = "2022-06-30"
    client.post(reverse("ctg:edit", args=[ctg.pk]), data)
    count = AuditEntry.objects.count()
    client.post(reverse("ctg:edit", args=[ctg.pk]), data)
    assert AuditEntry.objects.count() == count


def test_create_ctg_writes_creation_history(client, touraine):
    client.force_login(touraine.admin)
    response = client.post(reverse("ctg:create"), form_data(touraine, intitule="Nouvelle Ctg"))
    assert response.status_code == 302
    ctg = Ctg.objects.get(intitule="Nouvelle Ctg")
    assert list(ctg.signataires.all()) == [touraine.own]
    assert ctg.caf == touraine.caf
    assert AuditEntry.objects.filter(objet_id=str(ctg.pk), action="creation").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_fin": "2021-12-31"}, "date_fin", "La date de fin doit suivre la date de début."),
        ({"themes": ["petite_enfance", "enfance"]}, "themes", "manque : Jeunesse, Parentalité"),
        ({"date_signature": ""}, "date_signature", "Une Ctg signée a une date de signature."),
        ({"date_debut": "2022-02-30"}, "date_debut", "Saisissez une date valide."),
        ({"signataires": []}, "signataires", "Ce champ est obligatoire."),
    ],
)
def test_bad_input_shows_error_next_to_field_and_writes_nothing(
    client, touraine, overrides, field, message
):
    client.force_login(touraine.admin)
    before = Ctg.objects.count(), AuditEntry.objects.count()
    response = client.post(reverse("ctg:create"), form_data(touraine, **overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message.split(" : ")[0] in response.content.decode()
    assert (Ctg.objects.count(), AuditEntry.objects.count()) == before


def test_advisor_cannot_sign_for_a_collectivite_not_assigned(client, touraine):
    client.force_login(touraine.advisor)
    response = client.post(
        reverse("ctg:create"), form_data(touraine, signataires=[touraine.other.pk])
    )
    assert response.status_code == 400
    assert "signataires" in response.context["form"].errors


def test_editor_of_collectivite_cannot_edit_the_ctg(client, touraine):
    client.force_login(touraine.editor)
    assert client.get(reverse("ctg:edit", args=[touraine.ctg_own.pk])).status_code == 404
    assert (
        client.post(
            reverse("ctg:edit", args=[touraine.ctg_own.pk]), form_data(touraine)
        ).status_code
        == 404
    )


def test_history_is_for_caf_staff(client, touraine):
    client.force_login(touraine.elu)
    assert client.get(reverse("ctg:history", args=[touraine.ctg_own.pk])).status_code == 404
    client.force_login(touraine.analyst)
    assert client.get(reverse("ctg:history", args=[touraine.ctg_own.pk])).status_code == 200


def test_ctg_period_constraint_in_database(touraine):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Ctg.objects.filter(pk=touraine.ctg_own.pk).update(date_fin=dt.date(2021, 1, 1))
