"""A consultation names the partners of the Caf's directory that took part (the others in free
text): on the consultation page, on the partner's page (« ce à quoi il participe ») and in the
API read of the consultation; the change is kept in history."""

import datetime as dt

from django.urls import reverse

from coopctg.api.models import ApiToken
from coopctg.core.models import AuditEntry
from coopctg.participation.models import Consultation
from coopctg.partners.models import Partner


def test_a_consultation_links_partners_of_the_directory(client, touraine):
    ctg = touraine.ctg_own
    rpe = Partner.objects.create(
        caf=ctg.caf,
        identifiant="rpe-neuvy",
        nom="RPE de Neuvy",
        kind="association",
        date_maj=dt.date(2025, 1, 1),
    )
    client.force_login(touraine.editor)
    form = client.get(reverse("participation:consultation_create", args=[ctg.pk]))
    assert "RPE de Neuvy" in form.content.decode()
    response = client.post(
        reverse("participation:consultation_create", args=[ctg.pk]),
        {
            "intitule": "Les modes d'accueil",
            "objectif": "Savoir ce qui manque.",
            "theme": "petite_enfance",
            "public_vise": "Les familles",
            "date_debut": "2025-03-01",
            "formats": ["questionnaire"],
            "partenaires_annuaire": [rpe.pk],
            "partenaires": "Le club de foot",
        },
    )
    assert response.status_code == 302, response.content.decode()
    consultation = Consultation.objects.get()
    assert list(consultation.partenaires_annuaire.all()) == [rpe]
    assert "RPE de Neuvy" in str(AuditEntry.objects.get(objet_id=str(consultation.pk)).apres)
    page = client.get(reverse("participation:consultation", args=[consultation.pk]))
    html = page.content.decode()
    assert reverse("partners:detail", args=[rpe.pk]) in html and "Le club de foot" in html
    client.force_login(touraine.admin)
    partner_page = client.get(reverse("partners:detail", args=[rpe.pk])).content.decode()
    assert "Consultations des habitants" in partner_page
    assert reverse("participation:consultation", args=[consultation.pk]) in partner_page
    client.logout()
    _token, secret = ApiToken.create_for(touraine.editor, "essai")
    body = client.get(
        reverse("api:consultation", args=[consultation.pk]),
        headers={"Authorization": f"Bearer {secret}"},
    ).json()
    assert body["partenaires_annuaire"] == [rpe.pk]
    assert body["partenaires"] == "Le club de foot"
