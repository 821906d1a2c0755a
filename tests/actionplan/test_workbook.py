"""The plan d'actions workbook: it round-trips, edits are applied, bad rows are all reported
with their sheet and line and nothing is written."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from coopctg.actionplan.models import Action, Indicator, IndicatorValue
from coopctg.actionplan.services import PlanImportError
from coopctg.actionplan.workbook import (
    ACTION_COLUMNS,
    export_workbook,
    import_workbook,
    is_xlsx,
)
from coopctg.core.models import AuditEntry
from tests.actionplan.conftest import build_plan, plan_state
from tests.factories import CtgFactory
from tests.spreadsheet_bombs import wide_row_bomb

pytestmark = pytest.mark.django_db


def exported(ctg) -> io.BytesIO:
    return io.BytesIO(export_workbook(ctg))


def edited(stream: io.BytesIO, change) -> io.BytesIO:
    """The workbook after ``change(workbook)``, as a new file (openpyxl, like a user)."""
    workbook = load_workbook(stream)
    change(workbook)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def column(sheet, header: str) -> int:
    for cell in sheet[1]:
        if cell.value == header:
            return cell.column
    raise AssertionError(header)


def row_of(sheet, code: str) -> int:
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == code:
            return row[0].row
    raise AssertionError(code)


def import_errors(ctg, stream) -> list[str]:
    with pytest.raises(PlanImportError) as caught:
        import_workbook(None, ctg, stream)
    return [str(error) for error in caught.value.errors]


@pytest.fixture
def plan(touraine, framework):
    build_plan(touraine.ctg_own, actions=4, indicators=2)
    return touraine.ctg_own


@pytest.fixture
def empty_ctg(touraine):
    return CtgFactory(caf=touraine.caf, signataires=[touraine.own], intitule="Ctg vide")


def test_export_layout(plan):
    workbook = load_workbook(exported(plan))
    assert workbook.sheetnames == ["Actions", "Indicateurs", "Aide"]
    actions = workbook["Actions"]
    assert [c.value for c in actions[1]] == list(ACTION_COLUMNS.values())
    first = [c.value for c in actions[2]]
    assert first[0] == "A01"
    assert first[3] == "Enfance"  # thématiques as labels
    assert first[4] == "M1.O1 ; M2.O1"
    assert first[7] == dt.datetime(2023, 1, 1)  # real date cells
    assert actions.cell(2, 8).number_format == "DD/MM/YYYY"
    assert first[9] == "en cours"
    indicators = workbook["Indicateurs"]
    header = [c.value for c in indicators[1]]
    assert header[:5] == ["action", "indicateur", "unité", "valeur de référence", "cible"]
    assert header[5:] == ["2022", "2023", "2024", "2025", "2026"]  # the Ctg's years
    assert [c.value for c in indicators[2]][:8] == [
        "A01",
        "Indicateur 1 de la fiche 1",
        "places",
        10.5,
        101,
        22.25,
        23.25,
        24.25,
    ]


def test_round_trip_into_an_empty_plan(plan, empty_ctg):
    report = import_workbook(None, empty_ctg, exported(plan))
    assert plan_state(empty_ctg) == plan_state(plan)
    assert (report.actions.created, report.indicators.created, report.values) == (4, 8, 24)
    # Importing the same file again changes nothing.
    again = import_workbook(None, empty_ctg, exported(empty_ctg))
    assert (again.actions.unchanged, again.indicators.unchanged) == (4, 8)
    assert (again.actions.updated, again.actions.created, again.actions.deleted) == (0, 0, 0)


def test_reimport_unchanged_writes_no_history(plan):
    before = AuditEntry.objects.count()
    state = plan_state(plan)
    import_workbook(None, plan, exported(plan))
    assert plan_state(plan) == state
    assert AuditEntry.objects.count() == before


def test_edited_cells_are_applied_keeping_primary_keys(plan, touraine):
    pks = dict(Action.objects.filter(ctg=plan).values_list("code", "pk"))
    indicator_pk = Indicator.objects.get(action__code="A02", position=1, action__ctg=plan).pk

    def change(workbook):
        actions = workbook["Actions"]
        row = row_of(actions, "A02")
        actions.cell(
            row, column(actions, "titre")
        ).value = "Créer un lieu d'accueil enfants-parents"
        actions.cell(row, column(actions, "statut")).value = "En cours"
        actions.cell(row, column(actions, "avancement (%)")).value = 55
        actions.cell(row, column(actions, "fin")).value = "30/09/2025"
        actions.cell(row, column(actions, "thématiques")).value = "Parentalité; inclusion_handicap"
        actions.cell(row, column(actions, "objectifs")).value = "m3.o1"
        indicators = workbook["Indicateurs"]
        line = next(
            r[0].row
            for r in indicators.iter_rows(min_row=2)
            if r[0].value == "A02" and r[1].value == "Indicateur 1 de la fiche 2"
        )
        indicators.cell(line, column(indicators, "2025")).value = "31,5"  # French text
        indicators.cell(line, column(indicators, "2022")).value = None  # value removed
        indicators.cell(line, column(indicators, "cible")).value = 140

    report = import_workbook(touraine.editor, plan, edited(exported(plan), change))
    action = Action.objects.get(ctg=plan, code="A02")
    assert action.pk == pks["A02"]
    assert dict(Action.objects.filter(ctg=plan).values_list("code", "pk")) == pks
    assert action.titre == "Créer un lieu d'accueil enfants-parents"
    assert (action.statut, action.avancement) == ("en_cours", 55)
    assert action.date_fin == dt.date(2025, 9, 30)
    assert action.themes == ["parentalite", "inclusion_handicap"]
    assert [o.code for o in action.objectifs.all()] == ["M3.O1"]
    indicator = Indicator.objects.get(pk=indicator_pk)
    assert indicator.cible == Decimal("140")
    assert indicator.values_by_year() == {
        2023: Decimal("23.25"),
        2024: Decimal("24.25"),
        2025: Decimal("31.5"),
    }
    assert (report.actions.updated, report.actions.unchanged) == (1, 3)
    assert (report.indicators.updated, report.indicators.unchanged) == (1, 7)
    # History: who, before, after.
    entry = AuditEntry.objects.get(objet_type="actionplan.action", objet_id=str(action.pk))
    assert entry.auteur == touraine.editor
    assert entry.caf_id == plan.caf_id
    assert entry.avant["statut"] == "realisee" and entry.apres["statut"] == "en_cours"
    assert entry.apres["objectifs"] == ["M3.O1"]
    values_entry = AuditEntry.objects.get(
        objet_type="actionplan.indicator", objet_id=str(indicator_pk)
    )
    assert values_entry.avant["valeurs"]["2022"] == "22.25"
    assert "2022" not in values_entry.apres["valeurs"]
    assert values_entry.apres["valeurs"]["2025"] == "31.50"


def test_rows_added_removed_and_reordered(plan):
    IndicatorValue.objects.filter(
        indicator__action__code="A04", indicator__action__ctg=plan
    ).delete()

    def change(workbook):
        actions = workbook["Actions"]
        actions.delete_rows(row_of(actions, "A04"))  # no values: deleted
        actions.append(
            [
                "B01",
                "Nouvelle action",
                None,
                "Logement",
                None,
                None,
                None,
                dt.date(2025, 1, 1),
                None,
                None,
                None,
            ]
        )
        actions.move_range("A2:K2", rows=actions.max_row - 1)  # A01 last
        indicators = workbook["Indicateurs"]
        for row in reversed(range(2, indicators.max_row + 1)):
            if indicators.cell(row, 1).value == "A04":
                indicators.delete_rows(row)
        indicators.append(["B01", "Logements mobilisés", "logements", 0, 12])

    report = import_workbook(None, plan, edited(exported(plan), change))
    codes = list(
        Action.objects.filter(ctg=plan).order_by("position").values_list("code", flat=True)
    )
    assert codes == ["A02", "A03", "B01", "A01"]
    new = Action.objects.get(ctg=plan, code="B01")
    assert (new.statut, new.avancement, new.date_fin, new.themes) == (
        "a_lancer",
        0,
        None,
        ["logement"],
    )
    assert [i.libelle for i in new.indicateurs.all()] == ["Logements mobilisés"]
    assert (report.actions.created, report.actions.deleted) == (1, 1)
    assert (report.indicators.created, report.indicators.deleted) == (1, 2)
    assert (
        AuditEntry.objects.filter(objet_type="actionplan.action", action="suppression").count() == 1
    )


def test_bad_rows_all_reported_with_sheet_and_line_nothing_written(plan):
    state = plan_state(plan)
    history = AuditEntry.objects.count()

    def change(workbook):
        actions = workbook["Actions"]
        c = {h: column(actions, h) for h in ACTION_COLUMNS.values()}
        actions.cell(2, c["titre"]).value = "Changement qui ne doit pas être enregistré"
        actions.cell(3, c["fin"]).value = dt.date(2022, 12, 31)  # before début 01/01/2023
        actions.cell(4, c["statut"]).value = "terminée"
        actions.cell(4, c["thématiques"]).value = "Sport"
        actions.cell(5, c["objectifs"]).value = "M9.O9"
        actions.cell(5, c["avancement (%)"]).value = 150
        actions.append(
            ["A09", None, None, None, None, None, None, "31/02/2025", None, "en retard", None]
        )
        actions.append(["A01", "Doublon"])  # duplicate of line 2
        indicators = workbook["Indicateurs"]
        indicators.cell(2, 4).value = "douze"
        indicators.cell(3, 7).value = "1,234"
        indicators.append(["Z99", "Indicateur orphelin"])
        indicators.append(["A02", "Indicateur 1 de la fiche 2"])  # duplicate

    errors = import_errors(plan, edited(exported(plan), change))
    assert errors == [
        "Actions, ligne 3 : date de fin avant la date de début (31/12/2022 < 01/01/2023)",
        "Actions, ligne 4 : thématique inconnue : « Sport »",
        "Actions, ligne 4 : statut « terminée » inconnu (« à lancer », « en cours », "
        "« réalisée », « abandonnée » attendu)",
        "Actions, ligne 5 : objectif inconnu dans le référentiel : « M9.O9 »",
        "Actions, ligne 5 : avancement « 150 » : un pourcentage de 0 à 100 est attendu",
        "Actions, ligne 6 : titre vide",
        "Actions, ligne 6 : début : « 31/02/2025 » n'est pas une date (JJ/MM/AAAA attendu)",
        "Actions, ligne 6 : statut « en retard » : ce statut est calculé (date de fin "
        "dépassée), indiquez « à lancer » ou « en cours »",
        "Actions, ligne 7 : code « A01 » en double (déjà ligne 2)",
        "Indicateurs, ligne 2 : valeur de référence : « douze » n'est pas un nombre "
        "(ex. 12 ou 12,5)",
        "Indicateurs, ligne 3 : 2023 : « 1,234 » : 2 décimales au plus",
        "Indicateurs, ligne 10 : action « Z99 » inconnue (absente de la feuille Actions)",
        "Indicateurs, ligne 11 : indicateur « Indicateur 1 de la fiche 2 » de l'action A02 "
        "en double (déjà ligne 4)",
    ]
    assert plan_state(plan) == state
    assert AuditEntry.objects.count() == history


def test_missing_and_unknown_columns_and_sheets(plan):
    def change(workbook):
        actions = workbook["Actions"]
        actions.delete_cols(column(actions, "pilote"))
        actions.cell(1, 12).value = "commentaire"
        del workbook["Indicateurs"]

    assert import_errors(plan, edited(exported(plan), change)) == [
        "Actions, ligne 1 : colonne L « commentaire » inconnue (colonnes : « code », « titre », "
        "« description », « thématiques », « objectifs », « pilote », « partenaires », "
        "« début », « fin », « statut », « avancement (%) »)",
        "Actions, ligne 1 : colonne manquante : « pilote »",
        "Indicateurs : feuille « Indicateurs » absente du fichier",
    ]


def test_values_and_header_forms_a_user_may_type(plan, empty_ctg):
    """Headers in another order, case and accents; percent cells; ISO and French text dates;
    years as numbers; codes typed as numbers."""
    workbook = Workbook()
    actions = workbook.active
    actions.title = "actions"
    actions.append(
        [
            "Titre",
            "CODE",
            "Thematiques",
            "Objectifs",
            "Pilote",
            "Partenaires",
            "Description",
            "Date de début",
            "Date de fin",
            "Statut",
            "Avancement",
        ]
    )
    actions.append(
        [
            "Action numérotée",
            1,
            "jeunesse",
            "M1.O1;M1.O2",
            "",
            "",
            "",
            "2024-01-15",
            "15/06/2025",
            "en cours",
            0.4,
        ]
    )
    actions.cell(2, 11).number_format = "0%"
    actions.append(
        ["Action réalisée", "2.3", "", "", "", "", "=1+1", None, None, "Réalisée", "100 %"]
    )
    indicators = workbook.create_sheet("INDICATEURS")
    indicators.append(
        ["Action", "Indicateur", "Unité", "Valeur de reference", "Cible", 2024, "2025"]
    )
    indicators.append([1, "Jeunes accompagnés", "jeunes", "1 200", 1500.5, 1300, None])
    out = io.BytesIO()
    workbook.save(out)

    import_workbook(None, empty_ctg, out)
    first, second = Action.objects.filter(ctg=empty_ctg).order_by("position")
    assert (first.code, first.avancement, first.date_debut, first.date_fin) == (
        "1",
        40,
        dt.date(2024, 1, 15),
        dt.date(2025, 6, 15),
    )
    assert sorted(o.code for o in first.objectifs.all()) == ["M1.O1", "M1.O2"]
    assert (second.code, second.statut, second.avancement) == ("2.3", "realisee", 100)
    indicator = first.indicateurs.get()
    assert (indicator.valeur_reference, indicator.cible) == (Decimal("1200"), Decimal("1500.5"))
    assert indicator.values_by_year() == {2024: Decimal("1300")}


def test_a_formula_looking_text_stays_a_text_and_round_trips(empty_ctg, framework):
    """The export escapes it with a quote (coopctg.core.exports), the import removes it."""
    Action.objects.create(
        ctg=empty_ctg,
        code="A01",
        position=1,
        titre='=HYPERLINK("http://x")',
        description="-2+3",
        pilote="@SUM(A1)",
        partenaires="'+1",  # quotes before a formula: one more quote, still reversible
    )
    workbook = load_workbook(exported(empty_ctg))
    cells = [workbook["Actions"][f"{column}2"] for column in "BCFG"]
    assert [(c.value, c.data_type) for c in cells] == [
        ('\'=HYPERLINK("http://x")', "s"),
        ("'-2+3", "s"),
        ("'@SUM(A1)", "s"),
        ("''+1", "s"),
    ]
    state = plan_state(empty_ctg)
    import_workbook(None, empty_ctg, exported(empty_ctg))
    assert plan_state(empty_ctg) == state
    action = Action.objects.get(ctg=empty_ctg)
    assert (action.titre, action.description, action.pilote, action.partenaires) == (
        '=HYPERLINK("http://x")',
        "-2+3",
        "@SUM(A1)",
        "'+1",
    )


def test_control_characters_do_not_break_the_export(empty_ctg, framework):
    Action.objects.create(ctg=empty_ctg, code="A01", titre="Titre\x0bcollé", description="a\x01b")
    workbook = load_workbook(exported(empty_ctg))
    assert [c.value for c in workbook["Actions"][2]][1:3] == ["Titre\ncollé", "ab"]


def test_control_characters_are_cleaned_at_import(empty_ctg, framework):
    """A Word line break (\\x0b, that Excel writes « _x000B_ ») in a title becomes a space,
    in a description a line feed; other control characters go."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Actions"
    sheet.append(list(ACTION_COLUMNS.values()))
    sheet.append(
        ["A01", "Titre_x000B_collé\tici", "ligne 1_x000B_ligne 2_x0001_\x85", None, None, "x"]
    )
    workbook.create_sheet("Indicateurs").append(
        ["action", "indicateur", "unité", "valeur de référence", "cible"]
    )
    out = io.BytesIO()
    workbook.save(out)
    import_workbook(None, empty_ctg, out)
    action = Action.objects.get(ctg=empty_ctg)
    assert (action.titre, action.description) == ("Titre collé ici", "ligne 1\nligne 2")


def test_action_absent_with_values_is_not_deleted(plan):
    def change(workbook):
        actions = workbook["Actions"]
        actions.delete_rows(row_of(actions, "A03"))
        indicators = workbook["Indicateurs"]
        for row in reversed(range(2, indicators.max_row + 1)):
            if indicators.cell(row, 1).value == "A03":
                indicators.delete_rows(row)

    state = plan_state(plan)
    errors = import_errors(plan, edited(exported(plan), change))
    assert errors == [
        "Actions : l'action A03 « Fiche action n°3 », absente du fichier, n'est pas supprimée : "
        "elle a des données dépendantes (valeurs d'indicateurs saisies (2022, 2023, 2024)). "
        "Remettez sa ligne (au besoin avec le statut « abandonnée »)."
    ]
    assert plan_state(plan) == state


def test_indicator_absent_with_values_is_not_deleted(plan):
    def change(workbook):
        indicators = workbook["Indicateurs"]
        indicators.cell(2, 2).value = "Libellé renommé"

    errors = import_errors(plan, edited(exported(plan), change))
    assert errors == [
        "Indicateurs : l'indicateur « Indicateur 1 de la fiche 1 » de l'action A01, absent du "
        "fichier, n'est pas supprimé : il a des valeurs saisies (2022, 2023, 2024). Remettez sa "
        "ligne, ou videz d'abord ses valeurs. Pour renommer un indicateur, modifiez la fiche "
        "action."
    ]


def test_not_a_workbook(plan):
    assert not is_xlsx(io.BytesIO(b"PK\x03\x04 not really a zip"))
    assert not is_xlsx(io.BytesIO(b"code;titre\nA01;x\n"))
    assert is_xlsx(exported(plan))
    assert import_errors(plan, io.BytesIO(b"%PDF-1.4")) == [
        "Le fichier n'est pas un classeur Excel (.xlsx) lisible."
    ]


def test_too_many_rows(plan, monkeypatch):
    monkeypatch.setattr("coopctg.actionplan.workbook.MAX_ROWS", 3)
    errors = import_errors(plan, exported(plan))
    assert errors[0] == "Actions, ligne 5 : trop de lignes : 3 au plus"


def test_a_spreadsheet_bomb_is_refused_before_openpyxl_opens_it(plan, monkeypatch):
    """Security probe (issue 10): one row of 100 000 cells in a file of a few kilobytes."""

    def load_workbook(*args, **kwargs):
        raise AssertionError("the workbook must be refused before openpyxl opens it")

    monkeypatch.setattr("coopctg.actionplan.workbook.load_workbook", load_workbook)
    state = plan_state(plan)
    errors = import_errors(plan, wide_row_bomb(100_000))
    assert errors == [
        "Le classeur dépasse les limites : la ligne 2 a des cellules au-delà de la colonne GR "
        "(200 colonnes au plus ; colonne n° 201). Supprimez les colonnes inutiles, puis "
        "réessayez."
    ]
    assert plan_state(plan) == state
    assert not is_xlsx(wide_row_bomb(100_000))
