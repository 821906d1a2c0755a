"""The plan d'actions pages, end to end: the plan with its filters and badges, the forms
(errors next to the fields, status 400, nothing written), the values of a year, the workbook
download and upload, the POST-only deletion, query counts."""

import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from coopctg.actionplan.models import Action, Indicator, IndicatorValue
from coopctg.actionplan.workbook import CONTENT_TYPE, export_workbook
from coopctg.core.models import AuditEntry
from tests.actionplan.conftest import build_plan, objective, plan_state
from tests.spreadsheet_bombs import far_cell_bomb, wide_row_bomb

pytestmark = pytest.mark.django_db

EDITORS = ["admin", "advisor", "editor"]
NOT_EDITORS = ["analyst", "elu", "other_editor", "outsider", "nobody"]


@pytest.fixture
def plan(touraine, framework, frozen_today):
    build_plan(touraine.ctg_own, actions=4, indicators=2)
    return touraine.ctg_own


def html(response) -> str:
    return response.content.decode()


def action_row(page: str, action: Action) -> str:
    match = re.search(rf'<tr id="action-{action.pk}".*?</tr>', page, re.S)
    assert match, f"ligne de {action.code} absente"
    return match.group(0)


# --- The plan --------------------------------------------------------------------------------


def test_plan_page_for_an_editor(client, touraine, plan):
    client.force_login(touraine.editor)
    response = client.get(reverse("actionplan:plan", args=[plan.pk]))
    assert response.status_code == 200
    page = html(response)
    assert "Plan d'actions — Ctg Gâtine-Racan 2022-2026" in page
    assert reverse("actionplan:action_create", args=[plan.pk]) in page
    assert reverse("actionplan:import", args=[plan.pk]) in page
    assert reverse("actionplan:export", args=[plan.pk]) in page
    assert reverse("actionplan:indicator_values", args=[plan.pk, 2024]) in page
    a01, a02, a03, _ = Action.objects.filter(ctg=plan).order_by("position")
    # A01 en cours ended 31/12/2024 < 15/03/2025: late. A03 abandonnée: never late.
    assert "badge-error ap-late" in action_row(page, a01)
    assert 'class="ap-row-late"' in action_row(page, a01)
    assert "ap-late" not in action_row(page, a03)
    assert "ap-late" not in action_row(page, a02)  # ends 2026
    # Progress bar: an SVG rect with a width attribute, and the percentage as text.
    assert '<rect class="ap-progress-bar ap-progress-late" width="15" height="8"/>' in (
        action_row(page, a01)
    )
    assert "15\xa0%" in action_row(page, a01)
    # Indicator: baseline → latest value (year) → target.
    row = action_row(page, a01)
    assert "10,5" in row and "<strong>24,25</strong>" in row and "(2024)" in row
    assert "cible 101" in row
    # SVG widths are plain numbers (never « 47,5 »), whatever the locale.
    widths = re.findall(r'<rect class="ap-progress-bar[^"]*" width="([^"]+)"', page)
    assert len(widths) == 4 + 5  # 4 actions, 5 thématiques with actions
    assert all(re.fullmatch(r"\d+(\.\d+)?", w) for w in widths), widths
    # Summary: 4 fiches, mean of the non-abandoned (15 + 30 + 60) / 3 = 35 %, 1 late.
    assert re.search(r"<dt>Fiches actions</dt><dd>4</dd>", page)
    assert re.search(r"<dt>Avancement moyen</dt><dd>35\xa0%</dd>", page)
    assert re.search(r"<dt>En retard</dt><dd>1</dd>", page)


def test_plan_page_read_only_for_an_elected_official(client, touraine, plan):
    client.force_login(touraine.elu)
    page = html(client.get(reverse("actionplan:plan", args=[plan.pk])))
    assert reverse("actionplan:action_create", args=[plan.pk]) not in page
    assert reverse("actionplan:import", args=[plan.pk]) not in page
    assert "/valeurs/" not in page
    assert reverse("actionplan:export", args=[plan.pk]) in page


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("", ["A01", "A02", "A03", "A04"]),
        ("?theme=enfance", ["A01"]),
        ("?theme=inclusion_handicap", ["A03"]),
        ("?statut=realisee", ["A02"]),
        ("?retard=1", ["A01"]),
        ("?theme=enfance&statut=realisee", []),
        ("?theme=inconnu&statut=nimporte", ["A01", "A02", "A03", "A04"]),
    ],
)
def test_plan_filters(client, touraine, plan, query, codes):
    client.force_login(touraine.analyst)
    page = html(client.get(reverse("actionplan:plan", args=[plan.pk]) + query))
    shown = re.findall(r'<td class="ap-code">([^<]+)</td>', page)
    assert shown == codes
    if not codes:
        assert "Aucune fiche action ne répond à ces critères." in page


def test_pages_have_no_inline_style(client, touraine, plan):
    """A strict Content-Security-Policy (no 'unsafe-inline' style) will come."""
    client.force_login(touraine.admin)
    action = Action.objects.filter(ctg=plan).first()
    urls = [
        reverse("actionplan:plan", args=[plan.pk]),
        reverse("actionplan:action", args=[action.pk]),
        reverse("actionplan:action_edit", args=[action.pk]),
        reverse("actionplan:action_create", args=[plan.pk]),
        reverse("actionplan:indicator_values", args=[plan.pk, 2024]),
        reverse("actionplan:import", args=[plan.pk]),
    ]
    for url in urls:
        page = html(client.get(url))
        assert not re.search(r"\sstyle\s*=", page), url
        assert "<script" not in page.split("</head>")[1], url


def test_plan_page_queries_do_not_grow(client, touraine, framework, django_assert_max_num_queries):
    client.force_login(touraine.editor)
    url = reverse("actionplan:plan", args=[touraine.ctg_own.pk])
    build_plan(touraine.ctg_own, actions=2, indicators=1)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    build_plan(touraine.ctg_own, actions=25, indicators=4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert html(response).count('<td class="ap-code">') == 27


def test_action_detail_page(client, touraine, plan):
    action = Action.objects.get(ctg=plan, code="A01")
    client.force_login(touraine.analyst)
    page = html(client.get(reverse("actionplan:action", args=[action.pk])))
    assert "Fiche action n°1" in page
    assert "<strong>M1.O1</strong> — " in page
    assert "Indicateur 1 de la fiche 1" in page
    assert '<th scope="col" class="num">2026</th>' in page
    assert "Historique des modifications" in page  # Caf staff
    assert reverse("actionplan:action_edit", args=[action.pk]) not in page  # read only
    client.force_login(touraine.elu)
    page = html(client.get(reverse("actionplan:action", args=[action.pk])))
    assert "Historique des modifications" not in page


# --- Forms -----------------------------------------------------------------------------------


def form_data(**overrides):
    data = {
        "code": "A10",
        "titre": "Créer un relais petite enfance intercommunal",
        "description": "Un RPE pour les 12 communes.",
        "themes": ["petite_enfance"],
        "objectifs": [],
        "pilote": "Service petite enfance",
        "partenaires": "Caf, PMI",
        "date_debut": "2025-01-01",
        "date_fin": "31/12/2025",
        "statut": "en_cours",
        "avancement": "20",
        "indicateurs-TOTAL_FORMS": "2",
        "indicateurs-INITIAL_FORMS": "0",
        "indicateurs-MIN_NUM_FORMS": "0",
        "indicateurs-MAX_NUM_FORMS": "30",
        "indicateurs-0-libelle": "Assistantes maternelles accompagnées",
        "indicateurs-0-unite": "personnes",
        "indicateurs-0-valeur_reference": "12",
        "indicateurs-0-cible": "1 040,5",
        "indicateurs-1-libelle": "",
        "indicateurs-1-unite": "",
        "indicateurs-1-valeur_reference": "",
        "indicateurs-1-cible": "",
    }
    data.update(overrides)
    return data


def test_create_action(client, touraine, framework):
    client.force_login(touraine.editor)
    url = reverse("actionplan:action_create", args=[touraine.ctg_own.pk])
    page = html(client.get(url))
    assert 'value="A01"' in page  # next free code proposed
    response = client.post(url, form_data(objectifs=[objective("M1.O2").pk]))
    action = Action.objects.get(ctg=touraine.ctg_own, code="A10")
    assert response.status_code == 302
    assert response["Location"] == reverse("actionplan:action", args=[action.pk])
    assert action.date_fin == dt.date(2025, 12, 31)
    assert [o.code for o in action.objectifs.all()] == ["M1.O2"]
    [indicator] = action.indicateurs.all()
    assert (indicator.libelle, indicator.cible) == (
        "Assistantes maternelles accompagnées",
        Decimal("1040.5"),
    )
    assert AuditEntry.objects.filter(
        objet_type="actionplan.action", auteur=touraine.editor
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_fin": "2024-12-31"}, "date_fin", "ne peut pas précéder la date de début"),
        ({"avancement": "150"}, "avancement", "inférieure ou égale à 100"),
        ({"code": "A 1"}, "code", "Lettres, chiffres"),
        ({"titre": ""}, "titre", "obligatoire"),
        ({"statut": "en_retard"}, "statut", "Sélectionnez un choix valide"),
        ({"indicateurs-0-cible": "douze"}, "indicateurs-0-cible", "n'est pas un nombre"),
        ({"indicateurs-0-cible": "1,234"}, "indicateurs-0-cible", "2 décimales au plus"),
        (
            {"indicateurs-1-libelle": "Assistantes maternelles accompagnées"},
            "indicateurs-1-libelle",
            "figure déjà",
        ),
    ],
)
def test_create_action_errors_next_to_fields_nothing_written(
    client, touraine, framework, overrides, field, message
):
    client.force_login(touraine.advisor)
    before = (Action.objects.count(), Indicator.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("actionplan:action_create", args=[touraine.ctg_own.pk]), form_data(**overrides)
    )
    assert response.status_code == 400
    page = unescape(html(response))
    assert f'id="id_{field}_error"><p class="field-error">{message}' in page or re.search(
        rf'id="id_{field}_error"><p class="field-error">[^<]*{re.escape(message)}', page
    ), page
    assert "La fiche action n'est pas enregistrée" in page
    assert (Action.objects.count(), Indicator.objects.count(), AuditEntry.objects.count()) == before


def test_duplicate_code_refused(client, touraine, plan):
    client.force_login(touraine.editor)
    response = client.post(
        reverse("actionplan:action_create", args=[plan.pk]), form_data(code="A02")
    )
    assert response.status_code == 400
    assert "La référence A02 est déjà celle d&#x27;une autre fiche." in html(response)


def test_edit_action_and_its_indicators(client, touraine, plan):
    action = Action.objects.get(ctg=plan, code="A01")
    first, second = action.indicateurs.order_by("position")
    client.force_login(touraine.admin)
    url = reverse("actionplan:action_edit", args=[action.pk])
    assert client.get(url).status_code == 200
    data = form_data(code="A01", titre="Titre modifié", date_debut="", date_fin="")
    data.update(
        {
            "indicateurs-TOTAL_FORMS": "3",
            "indicateurs-INITIAL_FORMS": "2",
            "indicateurs-0-id": str(first.pk),
            "indicateurs-0-libelle": "Indicateur renommé",
            "indicateurs-0-unite": "places",
            "indicateurs-0-valeur_reference": "10,5",
            "indicateurs-0-cible": "120",
            "indicateurs-1-id": str(second.pk),
            "indicateurs-1-libelle": second.libelle,
            "indicateurs-1-unite": second.unite,
            "indicateurs-1-valeur_reference": "",
            "indicateurs-1-cible": "",
            "indicateurs-1-DELETE": "on",
            "indicateurs-2-libelle": "Nouvel indicateur",
            "indicateurs-2-unite": "",
            "indicateurs-2-valeur_reference": "",
            "indicateurs-2-cible": "5",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.titre, action.date_debut, action.date_fin) == ("Titre modifié", None, None)
    indicators = list(action.indicateurs.order_by("position"))
    assert [(i.pk, i.libelle, i.cible) for i in indicators] == [
        (first.pk, "Indicateur renommé", Decimal("120")),
        (indicators[1].pk, "Nouvel indicateur", Decimal("5")),
    ]
    assert first.values_by_year()  # renamed in the form: its values are kept
    assert not Indicator.objects.filter(pk=second.pk).exists()


def test_edit_refuses_an_indicator_of_another_action(client, touraine, plan):
    action = Action.objects.get(ctg=plan, code="A01")
    other = Indicator.objects.filter(action__code="A02", action__ctg=plan).first()
    client.force_login(touraine.admin)
    data = form_data(code="A01")
    data.update(
        {
            "indicateurs-TOTAL_FORMS": "1",
            "indicateurs-INITIAL_FORMS": "1",
            "indicateurs-0-id": str(other.pk),
            "indicateurs-0-libelle": "Volé",
        }
    )
    client.post(reverse("actionplan:action_edit", args=[action.pk]), data)
    # Django's formset treats an id outside the action's indicators as a new indicator.
    libelle, action_id = other.libelle, other.action_id
    other.refresh_from_db()
    assert (other.libelle, other.action_id) == (libelle, action_id)
    assert other.pk not in {i.pk for i in action.indicateurs.all()}


@pytest.mark.parametrize("role", NOT_EDITORS)
def test_read_only_roles_cannot_post(client, touraine, plan, role):
    action = Action.objects.get(ctg=plan, code="A01")
    state = plan_state(plan)
    client.force_login(getattr(touraine, role))
    workbook = SimpleUploadedFile("plan.xlsx", export_workbook(plan))
    posts = [
        (reverse("actionplan:action_create", args=[plan.pk]), form_data()),
        (reverse("actionplan:action_edit", args=[action.pk]), form_data(code="A01")),
        (reverse("actionplan:indicator_values", args=[plan.pk, 2024]), {}),
        (reverse("actionplan:import", args=[plan.pk]), {"fichier": workbook}),
        (reverse("actionplan:action_delete", args=[action.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert plan_state(plan) == state


# --- Deletion (POST only) --------------------------------------------------------------------


@pytest.mark.parametrize("role", EDITORS)
def test_delete_action_by_editors(client, touraine, plan, role):
    action = Action.objects.get(ctg=plan, code="A01")
    IndicatorValue.objects.filter(indicator__action=action).delete()
    client.force_login(getattr(touraine, role))
    url = reverse("actionplan:action_delete", args=[action.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("actionplan:plan", args=[plan.pk])
    assert not Action.objects.filter(pk=action.pk).exists()


def test_delete_action_with_values_refused(client, touraine, plan):
    action = Action.objects.get(ctg=plan, code="A01")
    client.force_login(touraine.editor)
    response = client.post(reverse("actionplan:action_delete", args=[action.pk]), follow=True)
    assert Action.objects.filter(pk=action.pk).exists()
    assert "n&#x27;est pas supprimée" in html(response)


def test_delete_on_other_territory_is_404(client, touraine, plan):
    [other] = build_plan(touraine.ctg_other, actions=1, indicators=0)
    client.force_login(touraine.editor)
    assert client.post(reverse("actionplan:action_delete", args=[other.pk])).status_code == 404
    client.force_login(touraine.other_editor)
    assert client.post(reverse("actionplan:action_delete", args=[other.pk])).status_code == 302


# --- Values of a year ------------------------------------------------------------------------


def test_indicator_values_of_a_year(client, touraine, plan):
    first = Indicator.objects.filter(action__ctg=plan).order_by("action__position", "position")[0]
    second = Indicator.objects.filter(action__ctg=plan).order_by("action__position", "position")[1]
    client.force_login(touraine.editor)
    url = reverse("actionplan:indicator_values", args=[plan.pk, 2025])
    page = html(client.get(url))
    assert f'name="valeur_{first.pk}"' in page
    data = {f"valeur_{i.pk}": "" for i in Indicator.objects.filter(action__ctg=plan)}
    data[f"valeur_{first.pk}"] = "1 234,5"
    response = client.post(url, data)
    assert response.status_code == 302
    assert first.values_by_year()[2025] == Decimal("1234.5")
    assert 2025 not in second.values_by_year()
    # Remove a value of 2024, and refuse a bad number (nothing written).
    url_2024 = reverse("actionplan:indicator_values", args=[plan.pk, 2024])
    data = {f"valeur_{i.pk}": "24,25" for i in Indicator.objects.filter(action__ctg=plan)}
    data[f"valeur_{first.pk}"] = ""
    data[f"valeur_{second.pk}"] = "beaucoup"
    response = client.post(url_2024, data)
    assert response.status_code == 400
    assert f'id="id_valeur_{second.pk}_error"' in html(response)
    assert 2024 in first.values_by_year()
    data[f"valeur_{second.pk}"] = "30"
    assert client.post(url_2024, data).status_code == 302
    assert 2024 not in first.values_by_year()
    assert second.values_by_year()[2024] == Decimal("30")


# --- Workbook download and upload ------------------------------------------------------------


def test_export_download(client, touraine, plan):
    client.force_login(touraine.elu)
    response = client.get(reverse("actionplan:export", args=[plan.pk]))
    assert response["Content-Type"] == CONTENT_TYPE
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="plan-actions-ctg-gatine-racan-2022-2026-20250315.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook["Actions"].max_row == 5


def test_import_upload_success(client, touraine, plan):
    client.force_login(touraine.editor)
    content = export_workbook(plan)
    workbook = load_workbook(io.BytesIO(content))
    workbook["Actions"]["B2"] = "Titre importé"
    out = io.BytesIO()
    workbook.save(out)
    response = client.post(
        reverse("actionplan:import", args=[plan.pk]),
        {"fichier": SimpleUploadedFile("plan modifié.xlsx", out.getvalue())},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("actionplan:plan", args=[plan.pk]), 302)]
    assert (
        "Plan d&#x27;actions importé : 4 actions (0 créée, 1 modifiée, 3 inchangées) ; "
        "8 indicateurs (0 créé, 0 modifié, 8 inchangés) ; 24 valeurs annuelles."
    ) in html(response)
    assert Action.objects.get(ctg=plan, code="A01").titre == "Titre importé"


def test_import_upload_errors_listed_nothing_written(client, touraine, plan):
    client.force_login(touraine.editor)
    workbook = load_workbook(io.BytesIO(export_workbook(plan)))
    workbook["Actions"]["B2"] = "Ne doit pas être enregistré"
    workbook["Actions"]["I3"] = dt.date(2020, 1, 1)
    workbook["Indicateurs"]["E4"] = "vingt"
    out = io.BytesIO()
    workbook.save(out)
    state = plan_state(plan)
    response = client.post(
        reverse("actionplan:import", args=[plan.pk]),
        {"fichier": SimpleUploadedFile("plan.xlsx", out.getvalue())},
    )
    assert response.status_code == 400
    page = unescape(html(response))
    assert "rien n'a été modifié : 2 erreurs." in page
    assert "<li>Actions, ligne 3 : date de fin avant la date de début" in page
    assert "<li>Indicateurs, ligne 4 : cible : « vingt » n'est pas un nombre" in page
    assert plan_state(plan) == state


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.csv", b"code;titre\n", "Le fichier doit être un classeur Excel .xlsx."),
        ("plan.xlsx", b"%PDF-1.4 renamed", "n&#x27;est pas un classeur Excel .xlsx lisible"),
        ("plan.xlsx", b"PK\x03\x04" + b"0" * (5 * 1024 * 1024), "taille maximale de 5 Mo"),
    ],
)
def test_import_upload_checks_type_and_size(client, touraine, plan, name, content, message):
    client.force_login(touraine.admin)
    response = client.post(
        reverse("actionplan:import", args=[plan.pk]),
        {"fichier": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert message in html(response)
    assert 'id="id_fichier_error"' in html(response)


def test_history_of_an_action_for_caf_staff(client, touraine, plan):
    action = Action.objects.get(ctg=plan, code="A03")
    client.force_login(touraine.editor)
    data = form_data(code="A03", titre=action.titre, statut="en_cours", avancement="70")
    data["indicateurs-TOTAL_FORMS"] = "0"
    data["indicateurs-INITIAL_FORMS"] = "0"
    assert client.post(reverse("actionplan:action_edit", args=[action.pk]), data).status_code == 302
    # The two indicators of A03 were not in the formset: they are kept.
    assert action.indicateurs.count() == 2
    client.force_login(touraine.admin)
    page = unescape(html(client.get(reverse("actionplan:action", args=[action.pk]))))
    assert re.search(r"Modification de la fiche le \d\d/\d\d/\d{4} à \d\d:\d\d par ", page)
    assert '<th scope="row">Statut</th><td>abandonnée</td><td>en cours</td>' in page
    assert '<th scope="row">Avancement (%)</th><td>45</td><td>70</td>' in page


@pytest.mark.parametrize("bomb", [far_cell_bomb, wide_row_bomb])
def test_import_refuses_a_spreadsheet_bomb_before_opening_it(
    client, touraine, plan, monkeypatch, bomb
):
    """Security probe (issue 10): a small workbook with one row of 100 000 cells, or a cell
    at column XFD, is refused next to the field (400) without openpyxl ever loading it."""

    def load_workbook(*args, **kwargs):
        raise AssertionError("the workbook must be refused before openpyxl opens it")

    monkeypatch.setattr("coopctg.actionplan.workbook.load_workbook", load_workbook)
    state = plan_state(plan)
    client.force_login(touraine.admin)
    response = client.post(
        reverse("actionplan:import", args=[plan.pk]),
        {"fichier": SimpleUploadedFile("plan.xlsx", bomb().getvalue())},
    )
    assert response.status_code == 400
    page = unescape(html(response))
    assert 'id="id_fichier_error"' in page
    assert "Le classeur dépasse les limites : la ligne" in page
    assert "au-delà de la colonne GR (200 colonnes au plus" in page
    assert plan_state(plan) == state
