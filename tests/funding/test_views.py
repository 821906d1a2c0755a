import html
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from coopctg.core.models import AuditEntry
from coopctg.funding.models import FundedPerson, FundingArchitecture
from coopctg.funding.rules import result_to_json
from coopctg.funding.services import compute_architecture
from tests.factories import CtgFactory, seed_architecture

EXAMPLE = "coopctg/funding/examples/exemple-referentiel.json"


ALL_THEMES = [
    "petite_enfance",
    "enfance",
    "jeunesse",
    "parentalite",
    "animation_vie_sociale",
    "logement",
    "acces_droits",
    "inclusion_handicap",
]


@pytest.fixture(autouse=True)
def _ctg_covers_every_theme(touraine):
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()


@pytest.fixture
def seed(touraine):
    return seed_architecture(touraine.ctg_own, touraine.own)


def post_data(persons, *, date="2022-01-01", montant="48 000", etp="2", **extra):
    data = {
        "date_effet": date,
        "base_cej_montant": montant,
        "base_cej_etp": etp,
        "personnes-TOTAL_FORMS": str(len(persons)),
        "personnes-INITIAL_FORMS": "0",
        "personnes-MIN_NUM_FORMS": "0",
        "personnes-MAX_NUM_FORMS": "30",
    }
    for index, person in enumerate(persons):
        for key, value in person.items():
            data[f"personnes-{index}-{key}"] = value
    data.update(extra)
    return data


SEED_POST = [
    {
        "nom": "M. X",
        "fonction": "Coordinateur Petite Enfance",
        "type_poste": "thematique",
        "etp_petite_enfance": "0,4",
        "etp_parentalite": "0,2",
    },
    {"nom": "Mme Y", "type_poste": "thematique", "etp_enfance_jeunesse": "0,5"},
    {"nom": "M. A", "type_poste": "thematique", "etp_avs_logement_acces_droits": "0,3"},
    {
        "nom": "M. C",
        "type_poste": "coordination_generale",
        "etp_petite_enfance": "0,15",
        "etp_enfance_jeunesse": "0,15",
        "etp_parentalite": "0,1",
        "etp_avs_logement_acces_droits": "0,2",
    },
]


def test_page_and_cli_give_the_same_figures(client, touraine, seed, capsys):
    call_command("financement", "simuler", EXAMPLE)
    cli = json.loads(capsys.readouterr().out)
    web = result_to_json(compute_architecture(seed))
    for key in ("enveloppes", "total", "eligible"):
        assert web[key] == cli[key]
    assert [(x["enveloppe"], x["etp"], x["montant"]) for x in web["lignes"]] == [
        (x["enveloppe"], x["etp"], x["montant"]) for x in cli["lignes"]
    ]
    client.force_login(touraine.elu)
    page = client.get(reverse("funding:architecture", args=[seed.pk])).content.decode()
    for amount in (
        "9\u202f600\u00a0€",
        "3\u202f600\u00a0€",
        "12\u202f000\u00a0€",
        "4\u202f800\u00a0€",
        "2\u202f400\u00a0€",
        "7\u202f200\u00a0€",
        "13\u202f200\u00a0€",
        "15\u202f600\u00a0€",
        "48\u202f000\u00a0€",
    ):
        assert amount in page
    assert "Pilotage petite enfance" in page and "0,15\u00a0Etp" in page
    assert "Architecture finançable" in page
    assert "Modifier l'architecture" not in page  # elected official: read only


def test_editor_saves_architecture_and_history_keeps_figures(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("funding:architecture_for_ctg", args=[touraine.ctg_own.pk, touraine.own.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, post_data(SEED_POST, enregistrer="1"))
    assert response.status_code == 302
    architecture = FundingArchitecture.objects.get()
    assert architecture.base_cej_montant == Decimal("48000.00")
    assert [p.nom for p in architecture.personnes.all()] == ["M. X", "Mme Y", "M. A", "M. C"]
    assert client.get(url)["Location"] == reverse("funding:architecture", args=[architecture.pk])
    # Then Mme Y goes to 0.7 Etp: history keeps before and after figures.
    changed = [dict(p) for p in SEED_POST]
    changed[1]["etp_enfance_jeunesse"] = "0,7"
    client.post(
        reverse("funding:architecture_edit", args=[architecture.pk]),
        post_data(changed, enregistrer="1"),
    )
    entry = AuditEntry.objects.filter(
        objet_type="funding.fundingarchitecture", action="modification"
    ).get()
    assert entry.auteur == touraine.editor
    assert entry.avant["total"] == {"etp": "2.00", "montant": "48000.00"}
    assert entry.apres["total"] == {"etp": "2.20", "montant": "52800.00"}


def test_htmx_preview_computes_without_saving(client, touraine):
    client.force_login(touraine.advisor)
    url = reverse("funding:architecture_for_ctg", args=[touraine.ctg_own.pk, touraine.own.pk])
    response = client.post(url, post_data(SEED_POST), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="apercu"' in html and "<html" not in html
    assert "48\u202f000\u00a0€" in html and "Architecture finançable" in html
    assert not FundingArchitecture.objects.exists()


def test_anomaly_is_shown_next_to_its_line(client, touraine):
    client.force_login(touraine.editor)
    persons = [dict(p) for p in SEED_POST]
    persons[0]["etp_parentalite"] = "0,1"  # a thematic line under 0.2 Etp
    url = reverse("funding:architecture_for_ctg", args=[touraine.ctg_own.pk, touraine.own.pk])
    fragment = client.post(url, post_data(persons), HTTP_HX_REQUEST="true").content.decode()
    assert "Architecture non finançable : 1 anomalie bloquante" in fragment
    row = fragment[fragment.index('class="row-anomaly"') :]
    row = row[: row.index("</tr>")]
    assert "M. X" in row and "Affectation sous le seuil" in row
    assert "SEUIL_AFFECTATION" not in row  # a label for people, not the code


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"etp_petite_enfance": "abc"}, "etp_petite_enfance", "Saisissez un nombre d'Etp"),
        ({"etp_petite_enfance": "0,123"}, "etp_petite_enfance", "Au plus 2 décimales"),
        ({"etp_petite_enfance": "-0,2"}, "etp_petite_enfance", "Etp positif"),
        ({"type_poste": ""}, "type_poste", "Choisissez le type de poste."),
        ({"type_poste": "directeur"}, "type_poste", "Sélectionnez un choix valide"),
        ({"nom": ""}, "nom", "Indiquez le nom de la personne."),
    ],
)
def test_bad_person_input_is_refused_next_to_the_field(client, touraine, change, field, message):
    client.force_login(touraine.editor)
    persons = [dict(p) for p in SEED_POST]
    persons[0].update(change)
    url = reverse("funding:architecture_for_ctg", args=[touraine.ctg_own.pk, touraine.own.pk])
    response = client.post(url, post_data(persons, enregistrer="1"))
    assert response.status_code == 400
    errors = response.context["formset"].forms[0].errors[field]
    assert any(message in e for e in errors)
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not FundingArchitecture.objects.exists() and not FundedPerson.objects.exists()


def test_base_needs_both_amount_and_etp(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("funding:architecture_for_ctg", args=[touraine.ctg_own.pk, touraine.own.pk])
    response = client.post(url, post_data(SEED_POST, etp="", enregistrer="1"))
    assert response.status_code == 400
    assert response.context["form"].errors["base_cej_etp"] == [
        "Indiquez à la fois le montant et les Etp de la base Cej."
    ]


def test_date_before_any_parameter_is_an_error_on_the_date(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("funding:architecture_for_ctg", args=[touraine.ctg_own.pk, touraine.own.pk])
    response = client.post(url, post_data(SEED_POST, date="2021-12-31", enregistrer="1"))
    assert response.status_code == 400
    assert response.context["form"].errors["date_effet"]
    assert not FundingArchitecture.objects.exists()


def test_add_person_button_adds_a_row_without_saving(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("funding:architecture_for_ctg", args=[touraine.ctg_own.pk, touraine.own.pk])
    response = client.post(url, post_data(SEED_POST, ajouter="1"))
    assert len(response.context["formset"].forms) == 5
    assert not FundingArchitecture.objects.exists()


def test_simulator_recomputes_and_checks_ctg_themes(client, touraine):
    client.force_login(touraine.elu)
    url = reverse("funding:simulator")
    assert client.get(url).status_code == 200
    data = post_data(SEED_POST)
    data["themes"] = ["petite_enfance", "enfance", "jeunesse", "parentalite"]
    fragment = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "Enveloppe hors de la Ctg" in fragment  # M. A and M. C on AVS, not covered
    assert "ENVELOPPE_HORS_CTG" not in fragment
    assert not FundingArchitecture.objects.exists()


def test_declarations_complete_the_checklist_only_where_no_record_can_exist(client, touraine, seed):
    """Without any Cof, recruitment or bilan, the attendus (« à établir ») and the bilan (« à
    déclarer ») may be declared, and the page says they are declarations; the Cof and the
    networks are never declared (no more free-text Cof reference)."""
    client.force_login(touraine.editor)
    url = reverse("funding:architecture", args=[seed.pk])
    page = html.unescape(client.get(url).content.decode())
    assert page.count(">à établir<") == 1 and page.count(">à déclarer<") == 1
    assert 'name="declaration_attendus"' in page and 'name="declaration_bilan"' in page
    assert 'name="reference_cof"' not in page and 'name="declaration_reseaux"' not in page
    client.post(
        reverse("funding:architecture_declarations", args=[seed.pk]),
        {"declaration_attendus": "on", "declaration_bilan": "on", "reference_cof": "Cof 1"},
    )
    page = html.unescape(client.get(url).content.decode())
    assert ">à établir<" not in page and ">à déclarer<" not in page
    assert page.count(">déclaration<") == 2 and "fiche de poste établie hors de CoopCTG" in page
    seed.refresh_from_db()
    assert seed.reference_cof == ""  # not a declaration any more
    entry = AuditEntry.objects.get(objet_id=str(seed.pk), action="modification")
    assert entry.avant == {"declaration_attendus": False, "declaration_bilan": False}


def test_checklist_flags_a_ctg_not_in_force(client, touraine):
    ctg = CtgFactory(caf=touraine.caf, signataires=[touraine.own], statut="projet")
    architecture = seed_architecture(ctg, touraine.own)
    client.force_login(touraine.admin)
    page = client.get(reverse("funding:architecture", args=[architecture.pk])).content.decode()
    assert "n'est pas signée" in html.unescape(page)


def test_detail_query_count_is_bounded(client, touraine, django_assert_max_num_queries):
    small = seed_architecture(touraine.ctg_own, touraine.own)
    client.force_login(touraine.admin)
    # 17: the missions of the posts (one prefetch) and the memberships of networks (one query),
    # whatever the size
    with django_assert_max_num_queries(17) as captured:
        client.get(reverse("funding:architecture", args=[small.pk]))
    many = [(f"P{i}", "", "coordination_locale", {"parentalite": "0.30"}) for i in range(25)]
    big = seed_architecture(touraine.ctg_other, touraine.other, persons=many)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        client.get(reverse("funding:architecture", args=[big.pk]))


def test_detail_links_the_cof_and_offers_to_create_it_to_the_caf(client, touraine):
    from tests.agreements.helpers import make_cof

    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    url = reverse("funding:architecture", args=[architecture.pk])
    create = reverse("agreements:create", args=[architecture.pk])
    client.force_login(touraine.advisor)
    page = client.get(url).content.decode()
    assert "Aucune Cof n'est encore signée" in page and f'href="{create}"' in page
    client.force_login(touraine.editor)  # the Cof is the Caf's to sign
    assert f'href="{create}"' not in client.get(url).content.decode()
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    page = client.get(url).content.decode()
    assert (
        f'<a href="{reverse("agreements:detail", args=[cof.pk])}">Cof n° COF-37-2022-001</a>'
        in page
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("48 000", "48000"), ("48\u00a0000,50", "48000.50"), ("48\u202f000", "48000"), ("", None)],
)
def test_amounts_typed_with_digit_groups_are_read(typed, expected):
    from coopctg.funding.forms import GroupedDecimalField

    field = GroupedDecimalField(required=False, max_digits=12, decimal_places=2, localize=True)
    assert field.clean(typed) == (None if expected is None else Decimal(expected))


def test_the_totals_stay_in_view_and_follow_the_typing(client, touraine):
    """The totals sit at the end of the form (sticky), and every recomputation replaces them
    out of band, next to the rows being typed."""
    client.force_login(touraine.editor)
    url = reverse("funding:simulator")
    page = client.get(url).content.decode()
    start = page.index('<form method="post" novalidate hx-post')
    form = page[start : page.index("</form>", start)]
    assert 'id="totaux" class="sticky-totals"' in form
    data = post_data(SEED_POST)
    data["themes"] = ["petite_enfance", "enfance", "parentalite", "animation_vie_sociale"]
    fragment = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    totals = fragment[fragment.index('<div id="totaux"') :]
    assert 'hx-swap-oob="true"' in totals[:80]
    text = " ".join(totals.split()).replace("\u202f", " ").replace("\xa0", " ")
    assert "Finançable" in text and "2 Etp, 48 000,00 €" in text
    # a full page (no htmx) carries the totals once, in the form
    assert client.post(url, data).content.decode().count('id="totaux"') == 1
