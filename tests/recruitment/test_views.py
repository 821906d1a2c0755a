"""The recruitment pages with the Django test client: the form with its tree of attendus
(errors next to the fields, status 400, nothing written), the whole path role by role, the
refusal of the decision without the Caf's opinion, the POST-only actions (right role 302, wrong
role 404, GET 405), the list's filter, scope and query count."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from coopctg.core.models import AuditEntry
from coopctg.framework.models import ExpectedOutput, Mission
from coopctg.notifications.models import Notification
from coopctg.recruitment.models import Opinion, Recruitment, Stage, StageChange
from coopctg.recruitment.workflow import do_create_recruitment
from tests.factories import seed_architecture
from tests.recruitment.conftest import CODES, TODAY, bring_to, make_recruitment, post

pytestmark = pytest.mark.usefixtures("frozen_today")


def page(response) -> str:
    return unescape(response.content.decode())


def pks(*codes):
    return [
        str(pk) for pk in ExpectedOutput.objects.filter(code__in=codes).values_list("pk", flat=True)
    ]


def form_data(w, **changes):
    data = {
        "collectivite": str(w.own.pk),
        "ctg": str(w.ctg_own.pk),
        "intitule": "Chargé·e de coopération Ctg enfance-jeunesse",
        "type_poste": "thematique",
        "personne_financee": "",
        "etp_petite_enfance": "",
        "etp_enfance_jeunesse": "0,5",
        "etp_parentalite": "0,3",
        "etp_avs_logement_acces_droits": "",
        "attendus": pks(*CODES),
    }
    data.update(changes)
    return data


def field_block(html: str, field_id: str) -> str:
    """The ``div.field`` that holds the input ``field_id``."""
    match = re.search(rf'<div class="field[^"]*">\s*<label for="{field_id}">.*?</div>', html, re.S)
    assert match, f"champ {field_id} absent"
    return match.group(0)


def audit_count():
    return AuditEntry.objects.filter(objet_type="recruitment.recruitment").count()


def detail(r):
    return reverse("recruitment:detail", args=[r.pk])


# --- Create and edit -----------------------------------------------------------------------


def test_create_page_offers_the_referentiel_as_a_tree(client, touraine, framework):
    client.force_login(touraine.editor)
    html = page(client.get(reverse("recruitment:create")))
    # Only the editor's collectivité, preselected; the Ctg grouped by collectivité.
    select = re.search(r'<select name="collectivite".*?</select>', html, re.S).group(0)
    assert touraine.own.nom in select and touraine.other.nom not in select
    assert f'<option value="{touraine.own.pk}" selected>' in select
    assert f'<optgroup label="{touraine.own.nom}">' in html
    # Every mission with its box, every attendu with its code and text, in the document's order.
    assert html.count('name="missions"') == 4
    assert html.count('name="attendus"') == ExpectedOutput.objects.count() == 46
    m1 = Mission.objects.get(code="M1")
    assert f'id="id_missions_{m1.pk}" data-mission="{m1.pk}"' in html
    assert re.search(
        r'name="attendus" value="\d+" id="id_attendus_\d+" data-in-mission="\d+"> '
        r'<span class="rc-code">M2\.O3\.A1</span> Le\.La chargé\.e de coopération doit garantir',
        html,
    )
    assert html.index("M1.O1.A1") < html.index("M1.O2.A1") < html.index("M4.O3.A3")


def test_create_a_recruitment(client, touraine, framework):
    client.force_login(touraine.advisor)
    m4 = Mission.objects.get(code="M4")
    response = client.post(
        reverse("recruitment:create"), form_data(touraine, missions=[str(m4.pk)])
    )
    r = Recruitment.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(r)
    assert r.collectivite == touraine.own and r.ctg == touraine.ctg_own
    assert r.cree_par == touraine.advisor
    assert r.referentiel == framework
    codes = set(r.attendus.values_list("code", flat=True))
    m4_codes = set(
        ExpectedOutput.objects.filter(objective__mission=m4).values_list("code", flat=True)
    )
    assert codes == set(CODES) | m4_codes
    assert {a.enveloppe: a.etp for a in r.affectations.all()} == {
        "enfance_jeunesse": Decimal("0.50"),
        "parentalite": Decimal("0.30"),
    }


def test_create_with_the_funded_person(client, touraine, framework):
    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    person = architecture.personnes.get(nom="M. C")
    client.force_login(touraine.editor)
    html = page(client.get(reverse("recruitment:create")))
    assert f"{touraine.own.nom} — {touraine.ctg_own.intitule}" in html
    assert "M. C (Chargé de coopération général)" in html
    response = client.post(
        reverse("recruitment:create"), form_data(touraine, personne_financee=str(person.pk))
    )
    assert response.status_code == 302
    assert Recruitment.objects.get().personne_financee == person


def test_the_funded_person_of_a_signed_cof(client, touraine, framework):
    from coopctg.agreements.services import VersionInput, create_cof, sign_version
    from coopctg.funding.services import save_architecture, stored_rows
    from tests.factories import seed_rows

    working = seed_architecture(touraine.ctg_own, touraine.own)
    cof = create_cof(
        touraine.admin,
        ctg=touraine.ctg_own,
        collectivite=touraine.own,
        debut=dt.date(2022, 1, 1),
        fin=dt.date(2025, 12, 31),
        numero="COF-37-2022-001",
    )
    version = sign_version(
        touraine.admin,
        cof,
        VersionInput(
            date_effet=dt.date(2022, 1, 1),
            rows=seed_rows(),
            base_montant=Decimal("48000"),
            base_etp=Decimal("2"),
        ),
        date_signature=dt.date(2021, 12, 15),
        generate_document=False,
    )
    signed_person = version.architecture.personnes.get(nom="Mme Y")
    working_person = working.personnes.get(nom="Mme Y")
    client.force_login(touraine.editor)
    html = page(client.get(reverse("recruitment:create")))
    assert f"{touraine.ctg_own.intitule} — architecture de travail" in html
    assert f"{touraine.ctg_own.intitule} — Cof COF-37-2022-001, cof initiale" in html
    response = client.post(
        reverse("recruitment:create"),
        form_data(touraine, personne_financee=str(signed_person.pk)),
    )
    assert response.status_code == 302
    r = Recruitment.objects.get()
    assert r.personne_financee == signed_person
    assert r.personne_financee_libelle == (
        "Mme Y (Coordinatrice Enfance/Jeunesse) — Cof COF-37-2022-001, cof initiale"
    )
    # Linked to the working architecture, whose persons are recreated at each save: the link
    # is lost, the label stays.
    client.post(
        reverse("recruitment:edit", args=[r.pk]),
        form_data(touraine, personne_financee=str(working_person.pk)),
    )
    r.refresh_from_db()
    assert r.personne_financee_libelle.endswith("— architecture de travail")
    save_architecture(touraine.editor, working, stored_rows(working))
    r.refresh_from_db()
    assert r.personne_financee is None
    assert "Mme Y (Coordinatrice Enfance/Jeunesse) — architecture de travail" in page(
        client.get(detail(r))
    )
    html = page(client.get(reverse("recruitment:edit", args=[r.pk])))
    assert "Choisi précédemment : Mme Y (Coordinatrice Enfance/Jeunesse)" in html
    client.post(reverse("recruitment:edit", args=[r.pk]), form_data(touraine, intitule="Autre"))
    r.refresh_from_db()
    assert r.intitule == "Autre" and r.personne_financee_libelle.startswith("Mme Y")


def test_bad_input_shows_errors_next_to_the_fields_and_writes_nothing(client, touraine, framework):
    client.force_login(touraine.editor)
    response = client.post(
        reverse("recruitment:create"),
        form_data(
            touraine,
            ctg=str(touraine.ctg_other.pk),
            intitule="",
            type_poste="",
            etp_enfance_jeunesse="0,8",
            etp_parentalite="0,3",
            attendus=[],
        ),
    )
    assert response.status_code == 400
    html = page(response)
    assert "Le formulaire contient des erreurs" in html
    assert "Indiquez l'intitulé du poste." in field_block(html, "id_intitule")
    assert "Choisissez le type de poste." in field_block(html, "id_type_poste")
    # Only the Ctg of the editor's collectivités are offered.
    assert "Sélectionnez un choix valide" in field_block(html, "id_ctg")
    assert "un poste ne peut dépasser 1 Etp" in field_block(html, "id_etp_parentalite")
    tree = re.search(
        r'<fieldset class="rc-group rc-tree field-invalid".*?</p>\s*'
        r'<div class="field-errors" id="id_attendus_error"><p class="field-error">([^<]*)',
        html,
        re.S,
    )
    assert tree and "Choisissez au moins un attendu" in tree.group(1)
    # The typed values are kept.
    assert 'value="0,8"' in html
    assert not Recruitment.objects.exists()
    assert audit_count() == 0


def test_the_ctg_must_be_signed_by_the_collectivite(client, touraine, framework):
    client.force_login(touraine.admin)  # the collectivité chosen: only its Ctg are offered
    response = client.post(
        reverse("recruitment:create"), form_data(touraine, ctg=str(touraine.ctg_other.pk))
    )
    assert response.status_code == 400
    assert "field-error" in field_block(page(response), "id_ctg")
    assert not Recruitment.objects.exists()


def test_who_recruits_for_several_collectivites_chooses_one_first(client, touraine, framework):
    """A Caf chooses the collectivité, then the form offers its Ctg and posts only."""
    client.force_login(touraine.admin)
    url = reverse("recruitment:create")
    chooser = page(client.get(url))
    assert "Pour quelle collectivité ?" in chooser
    assert touraine.own.nom in chooser and touraine.other.nom in chooser
    assert 'name="attendus"' not in chooser
    form = client.get(url, {"collectivite": touraine.own.pk})
    html = page(form)
    assert form.status_code == 200 and 'name="attendus"' in html
    assert touraine.ctg_own.intitule in html and touraine.ctg_other.intitule not in html
    refused = client.get(url, {"collectivite": touraine.foreign.pk})  # another Caf's
    assert refused.status_code == 400 and "Choisissez une collectivité de la liste." in page(
        refused
    )
    client.force_login(touraine.editor)  # one collectivité: the form at once
    assert 'name="attendus"' in page(client.get(url))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"etp_enfance_jeunesse": "abc"}, "id_etp_enfance_jeunesse", "Saisissez un nombre d'Etp"),
        (
            {"etp_enfance_jeunesse": "", "etp_parentalite": ""},
            "id_etp_petite_enfance",
            "Affectez au moins une part d'Etp",
        ),
        ({"collectivite": "999999"}, "id_collectivite", "Sélectionnez un choix valide"),
    ],
)
def test_more_bad_input(client, touraine, framework, changes, field, message):
    client.force_login(touraine.editor)
    response = client.post(reverse("recruitment:create"), form_data(touraine, **changes))
    assert response.status_code == 400
    assert message in field_block(page(response), field)
    assert not Recruitment.objects.exists()


def test_an_editor_cannot_open_a_recruitment_elsewhere(client, touraine, framework):
    client.force_login(touraine.editor)
    response = client.post(
        reverse("recruitment:create"),
        form_data(touraine, collectivite=str(touraine.other.pk), ctg=str(touraine.ctg_other.pk)),
    )
    assert response.status_code == 400
    assert not Recruitment.objects.exists()


def test_edit_the_post(client, touraine, framework):
    r = make_recruitment(touraine, framework)
    client.force_login(touraine.editor)
    html = page(client.get(reverse("recruitment:edit", args=[r.pk])))
    # Matched by code (primary keys differ from one database run to another).
    for code in CODES:
        assert re.search(
            r'name="attendus" value="\d+" id="id_attendus_\d+" data-in-mission="\d+" checked> '
            rf'<span class="rc-code">{re.escape(code)}</span>',
            html,
        ), code
    assert 'value="Chargé·e de coopération Ctg petite enfance et parentalité"' in html
    assert 'name="collectivite"' not in html
    response = client.post(
        reverse("recruitment:edit", args=[r.pk]),
        form_data(touraine, intitule="Chargé·e de coopération Ctg", attendus=pks("M3.O1.A1")),
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.intitule == "Chargé·e de coopération Ctg"
    assert list(r.attendus.values_list("code", flat=True)) == ["M3.O1.A1"]


def test_edit_is_closed_once_the_opinion_is_asked(client, touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    client.force_login(touraine.editor)
    response = client.get(reverse("recruitment:edit", args=[r.pk]), follow=True)
    assert response.redirect_chain == [(detail(r), 302)]
    assert "Le poste ne peut plus être modifié" in page(response)
    assert reverse("recruitment:edit", args=[r.pk]) not in page(response)


# --- The whole path ------------------------------------------------------------------------


def test_the_whole_path_with_the_test_client(client, touraine, framework):
    touraine.staff.user = touraine.analyst  # the invited staff member has an account
    touraine.staff.save()
    client.force_login(touraine.editor)
    client.post(reverse("recruitment:create"), form_data(touraine))
    r = Recruitment.objects.get()

    # The Caf: the collectivité's referent is offered first, invited with today's date.
    html = page(client.get(detail(r)))
    assert f'<option value="{touraine.staff.pk}" selected>' in html
    assert "suit la collectivité" in html
    assert 'value="2025-03-15"' in html
    response = client.post(
        reverse("recruitment:invite_caf", args=[r.pk]),
        {"membre": touraine.staff.pk, "date_invitation": "14/03/2025"},
    )
    assert response.status_code == 302
    assert Notification.objects.filter(destinataire=touraine.analyst).count() == 1

    # Stages one by one.
    for expected in (Stage.CANDIDATURES, Stage.ENTRETIENS):
        assert client.post(reverse("recruitment:advance", args=[r.pk])).status_code == 302
        r.refresh_from_db()
        assert r.etape == expected
    response = client.post(reverse("recruitment:advance", args=[r.pk]), {"candidat_pressenti": ""})
    assert response.status_code == 400
    assert "Indiquez la candidature retenue" in field_block(
        page(response), "etape_candidat_pressenti"
    )
    response = client.post(
        reverse("recruitment:advance", args=[r.pk]), {"candidat_pressenti": "Camille Martin"}
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.etape == Stage.AVIS_CAF
    assert {
        n.destinataire.username
        for n in Notification.objects.filter(titre__startswith="Avis de la Caf demandé")
    } == {"admin", "analyste", "conseiller"}

    # The advisor gives the Caf's opinion; the editor is notified.
    client.force_login(touraine.advisor)
    html = page(client.get(detail(r)))
    assert reverse("recruitment:opinion", args=[r.pk]) in html
    assert reverse("recruitment:advance", args=[r.pk]) not in html
    response = client.post(
        reverse("recruitment:opinion", args=[r.pk]),
        {"avis": "reserve", "motif": "Peu d'expérience du partenariat ; accompagnement prévu."},
    )
    assert response.status_code == 302
    assert Notification.objects.filter(
        destinataire=touraine.editor, titre__startswith="Avis de la Caf rendu"
    ).exists()

    # The editor moves to the decision and records it.
    client.force_login(touraine.editor)
    html = page(client.get(detail(r)))
    assert "Avis réservé" in html and "Peu d'expérience du partenariat" in html
    assert client.post(reverse("recruitment:advance", args=[r.pk])).status_code == 302
    html = page(client.get(detail(r)))
    assert 'value="Camille Martin"' in html  # the choice submitted to the Caf, prefilled
    response = client.post(
        reverse("recruitment:decide", args=[r.pk]),
        {
            "decision": "retenu",
            "candidat_retenu": "Camille Martin",
            "date_prise_poste": "2025-05-01",
        },
        follow=True,
    )
    assert response.status_code == 200
    html = page(response)
    assert "La décision finale est enregistrée" in html
    assert (
        "<strong>Candidat·e retenu·e</strong> : Camille Martin, prise de poste le 01/05/2025"
        in html
    )
    assert "Clos — Candidat·e retenu·e" in html
    r.refresh_from_db()
    assert r.decision == "retenu" and r.decision_par == touraine.editor
    # Closed: no action form any more.
    for name in ("advance", "step_back", "invite_caf", "opinion", "decide"):
        assert reverse(f"recruitment:{name}", args=[r.pk]) not in html
    assert StageChange.objects.filter(recrutement=r).count() == 4


def test_steps_are_accessible(client, touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.ENTRETIENS)
    client.force_login(touraine.elu)
    html = page(client.get(detail(r)))
    steps = re.search(r'<nav aria-label="Étapes du recrutement">.*?</nav>', html, re.S).group(0)
    assert steps.count("<li ") == 5
    assert steps.count('aria-current="step"') == 1
    current = re.search(
        r'<li class="rc-step rc-step-current" aria-current="step">(.*?)</li>', steps, re.S
    )
    assert "Entretiens" in current.group(1) and "(étape en cours)" in current.group(1)
    assert steps.count("(étape franchie)") == 2 and steps.count("(étape à venir)") == 2
    # The elected official reads only.
    assert (
        "<form"
        not in html.split('<section class="card" aria-labelledby="suite">')[1].split("</section>")[
            0
        ]
    )
    for name in ("advance", "step_back", "invite_caf", "opinion", "decide", "edit"):
        assert reverse(f"recruitment:{name}", args=[r.pk]) not in html


def test_the_decision_needs_the_caf_opinion_in_the_ui(client, touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    client.force_login(touraine.editor)
    html = page(client.get(detail(r)))
    assert "L'avis de la Caf est obligatoire avant la décision finale." in html
    assert "En attente de l'avis de la Caf" in html
    assert reverse("recruitment:advance", args=[r.pk]) not in html  # « Décision » not offered
    before = audit_count()

    response = client.post(reverse("recruitment:advance", args=[r.pk]))
    assert response.status_code == 400
    alert = re.search(
        r'<div class="form-error rc-alert" role="alert"><p>(.*?)</p>', page(response)
    ).group(1)
    assert alert == (
        "L'avis de la Caf est obligatoire avant la décision finale : le recrutement ne peut pas "
        "passer à l'étape « Décision » sans cet avis."
    )
    response = client.post(
        reverse("recruitment:decide", args=[r.pk]),
        {
            "decision": "retenu",
            "candidat_retenu": "Camille Martin",
            "date_prise_poste": "2025-05-01",
        },
    )
    assert response.status_code == 400
    assert (
        "la décision ne peut pas être enregistrée tant que la Caf n'a pas rendu son avis"
        in page(response)
    )

    r.refresh_from_db()
    assert (r.etape, r.decision) == (Stage.AVIS_CAF, "")
    assert audit_count() == before
    assert not StageChange.objects.filter(vers=Stage.DECISION).exists()


def test_opinion_without_motive_is_refused(client, touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    client.force_login(touraine.admin)
    response = client.post(
        reverse("recruitment:opinion", args=[r.pk]), {"avis": "favorable", "motif": " "}
    )
    assert response.status_code == 400
    assert "L'avis de la Caf doit être motivé" in field_block(page(response), "avis_motif")
    response = client.post(reverse("recruitment:opinion", args=[r.pk]), {"motif": "Bien"})
    assert response.status_code == 400
    assert "Choisissez l'avis" in page(response)
    r.refresh_from_db()
    assert r.avis == ""
    assert not Notification.objects.filter(titre__startswith="Avis de la Caf rendu").exists()


def test_step_back_with_and_without_reason(client, touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.ENTRETIENS)
    client.force_login(touraine.editor)
    response = client.post(reverse("recruitment:step_back", args=[r.pk]), {"motif": ""})
    assert response.status_code == 400
    html = page(response)
    assert '<details class="rc-back" open>' in html
    assert "Indiquez le motif du retour" in field_block(html, "retour_motif")
    response = client.post(
        reverse("recruitment:step_back", args=[r.pk]), {"motif": "Trop peu de candidatures."}
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.etape == Stage.CANDIDATURES
    html = page(client.get(detail(r)))
    assert "Retour : Entretiens → Candidatures" in html and "Trop peu de candidatures." in html


def test_invite_errors(client, touraine, framework):
    r = make_recruitment(touraine, framework)
    client.force_login(touraine.editor)
    response = client.post(
        reverse("recruitment:invite_caf", args=[r.pk]),
        {"membre": touraine.staff.pk, "date_invitation": "2025-03-16"},
    )
    assert response.status_code == 400
    assert "postérieure à aujourd'hui" in field_block(page(response), "jury_date_invitation")
    response = client.post(
        reverse("recruitment:invite_caf", args=[r.pk]), {"date_invitation": "2025-03-10"}
    )
    assert response.status_code == 400
    assert "Choisissez le membre de la Caf" in field_block(page(response), "jury_membre")
    r.refresh_from_db()
    assert r.caf_invite is None


def test_decision_form_errors(client, touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.DECISION)
    client.force_login(touraine.editor)
    response = client.post(
        reverse("recruitment:decide", args=[r.pk]), {"decision": "retenu", "candidat_retenu": ""}
    )
    assert response.status_code == 400
    html = page(response)
    assert "Indiquez le nom de la personne retenue." in field_block(
        html, "decision_candidat_retenu"
    )
    assert "Indiquez la date de prise de poste." in field_block(html, "decision_date_prise_poste")
    r.refresh_from_db()
    assert r.decision == ""


# --- POST-only actions: right role 302, wrong role 404, GET 405 -----------------------------

ROLES = ["admin", "analyst", "advisor", "editor", "elu", "other_editor", "outsider", "nobody"]

ACTIONS = {
    # name: (stage to reach first, POST data, roles allowed, check of the effect)
    "advance": (Stage.OUVERT, {}, {"admin", "editor"}, lambda r: r.etape == Stage.CANDIDATURES),
    "step_back": (
        Stage.CANDIDATURES,
        {"motif": "Erreur de saisie"},
        {"admin", "editor"},
        lambda r: r.etape == Stage.OUVERT,
    ),
    "invite_caf": (
        Stage.OUVERT,
        {"date_invitation": "2025-03-01"},
        {"admin", "advisor", "editor"},
        lambda r: r.caf_invite_le == dt.date(2025, 3, 1),
    ),
    "opinion": (
        Stage.AVIS_CAF,
        {"avis": "favorable", "motif": "Profil adapté."},
        {"admin", "advisor"},
        lambda r: r.avis == Opinion.FAVORABLE,
    ),
    "decide": (
        Stage.DECISION,
        {"decision": "infructueux"},
        {"admin", "editor"},
        lambda r: r.decision == "infructueux",
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_post_only_actions(client, touraine, framework, name, role):
    stage, data, allowed, done = ACTIONS[name]
    r = make_recruitment(touraine, framework)
    if stage != Stage.OUVERT:
        r = bring_to(touraine, r, stage)
    if name == "invite_caf":
        data = {**data, "membre": touraine.staff.pk}
    url = reverse(f"recruitment:{name}", args=[r.pk])
    assert client.post(url, data).status_code == 302  # anonymous: to the login page
    client.force_login(getattr(touraine, role))
    assert client.get(url).status_code == 405
    expected = 302 if role in allowed else 404
    response = client.post(url, data)
    assert response.status_code == expected
    r.refresh_from_db()
    assert done(r) is (expected == 302)
    if expected == 302:
        assert response["Location"] == detail(r)


def test_actions_on_a_recruitment_of_another_territory_are_hidden(client, touraine, framework):
    r = do_create_recruitment(
        touraine.other_editor,
        post(touraine, framework, collectivite=touraine.other, ctg=touraine.ctg_other),
    )
    client.force_login(touraine.editor)
    assert client.post(reverse("recruitment:advance", args=[r.pk])).status_code == 404
    assert client.post(reverse("recruitment:advance", args=[999999])).status_code == 404


# --- List and PDF --------------------------------------------------------------------------


def test_list_is_scoped_and_filtered_by_stage(client, touraine, framework):
    opened = make_recruitment(touraine, framework, intitule="Poste ouvert")
    asked = bring_to(
        touraine, make_recruitment(touraine, framework, intitule="Poste à l'avis"), Stage.AVIS_CAF
    )
    elsewhere = do_create_recruitment(
        touraine.other_editor,
        post(
            touraine,
            framework,
            collectivite=touraine.other,
            ctg=touraine.ctg_other,
            intitule="Poste ailleurs",
        ),
    )
    client.force_login(touraine.editor)
    html = page(client.get(reverse("recruitment:list")))
    assert "2 recrutements" in html
    assert detail(opened) in html and detail(asked) in html and detail(elsewhere) not in html
    assert "étape 4 sur 5" in html and "Sylvie MICHEL invité·e au jury" in html
    assert reverse("recruitment:create") in html
    html = page(client.get(reverse("recruitment:list"), {"etape": "avis_caf"}))
    assert "1 recrutement à l'étape choisie" in html
    assert detail(asked) in html and detail(opened) not in html
    assert '<option value="avis_caf" selected>' in html
    html = page(client.get(reverse("recruitment:list"), {"etape": "inconnue"}))
    assert "2 recrutements" in html
    client.force_login(touraine.admin)
    assert "3 recrutements" in page(client.get(reverse("recruitment:list")))
    client.force_login(touraine.elu)
    html = page(client.get(reverse("recruitment:list")))
    assert "2 recrutements" in html and reverse("recruitment:create") not in html
    client.force_login(touraine.outsider)
    assert "0 recrutement" in page(client.get(reverse("recruitment:list")))


def test_list_queries_do_not_grow(client, touraine, framework, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            r = make_recruitment(touraine, framework, intitule=f"Poste {i}")
            if i % 2:
                bring_to(touraine, r, Stage.AVIS_CAF)

    grow(2)
    client.force_login(touraine.admin)
    url = reverse("recruitment:list")
    with django_assert_max_num_queries(15) as small:
        assert client.get(url).status_code == 200
    grow(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "12 recrutements" in page(response)


def test_detail_shows_the_job_description(client, touraine, framework):
    r = make_recruitment(
        touraine, framework, etp={"petite_enfance": Decimal("0.40"), "parentalite": Decimal("0.10")}
    )
    client.force_login(touraine.analyst)
    html = page(client.get(detail(r)))
    assert "0,5\xa0Etp, soit 2,5 jours par semaine" in html
    assert "Caf de Touraine" in html
    for code in CODES:
        assert f'<span class="rc-code">{code}</span>' in html
    assert "M1.O2 </span>" not in html
    assert "Ce qui est entendu par garantir" in html
    assert "Recherche de solution" in html  # the 4 functions
    assert "La conduite des diagnostics territoriaux ou thématiques" in html  # what the Caf expects
    # The funding rules speak about the 0,1 Etp on parentalité.
    assert "inférieure au seuil de 0,2\xa0Etp par affectation" in html
    assert reverse("recruitment:job_pdf", args=[r.pk]) in html


def test_pdf_view(client, touraine, framework):
    r = make_recruitment(touraine, framework)
    client.force_login(touraine.elu)
    response = client.get(reverse("recruitment:job_pdf", args=[r.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'inline; filename="fiche-de-poste-chargee-de-cooperation-ctg-petite-enfance-'
        'et-parentalite.pdf"'
    )
    assert response.content.startswith(b"%PDF")


def test_detail_of_the_recruitment_uses_today(client, touraine, framework):
    r = make_recruitment(touraine, framework)
    client.force_login(touraine.editor)
    assert f'value="{TODAY.isoformat()}"' in page(client.get(detail(r)))
