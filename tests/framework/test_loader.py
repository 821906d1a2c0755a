"""Loading: idempotent, texts updated in place, versions side by side, bad files refused."""

import datetime as dt

import pytest

from coopctg.framework.loader import (
    FrameworkConflictError,
    FrameworkFileError,
    export_framework,
    load_framework,
    load_framework_with_report,
    parse_framework,
    versions_newest_first,
)
from coopctg.framework.models import (
    CompetenceSphere,
    ExpectedOutput,
    FrameworkVersion,
    Function,
    GeneralExpectation,
    Mission,
    Objective,
)

from .utils import attendu

pytestmark = pytest.mark.django_db

MODELS = [Function, CompetenceSphere, GeneralExpectation, Mission, Objective, ExpectedOutput]


def snapshot():
    """{(model, code, version code): (pk, texts)} of every element in the database."""
    rows = {}
    for model in MODELS:
        for row in model.objects.all():
            version = (
                row.version.code
                if hasattr(row, "version_id")
                else (
                    row.mission.version.code
                    if model is Objective
                    else row.objective.mission.version.code
                )
            )
            texts = tuple(
                getattr(row, name, None)
                for name in ("titre", "description", "texte", "precision", "sous_titre")
            )
            rows[(model.__name__, row.code, version)] = (row.pk, texts, row.position)
    return rows


def test_first_load_creates_everything():
    report = load_framework_with_report()
    version = report.version
    assert report.version_created
    assert (report.created, report.updated, report.unchanged) == (79, 0, 0)
    assert version.code == "touraine-2022-01"
    assert version.date_publication == dt.date(2022, 1, 1)
    assert Function.objects.filter(version=version).count() == 4
    assert CompetenceSphere.objects.filter(version=version).count() == 4
    assert GeneralExpectation.objects.filter(version=version).count() == 6
    assert Mission.objects.filter(version=version).count() == 4
    assert Objective.objects.filter(mission__version=version).count() == 15
    assert ExpectedOutput.objects.filter(objective__mission__version=version).count() == 46
    output = ExpectedOutput.objects.get(code="M2.O3.A1")
    assert output.objective.code == "M2.O3" and output.position == 1
    assert output.precision.startswith("Ce qui est entendu par garantir : ")
    assert Objective.objects.get(code="M4.O2").sous_titre.startswith("Pérenniser")
    assert report.summary() == (
        "Version « touraine-2022-01 » du référentiel créée : 4 fonctions, 4 sphères, "
        "6 attendus généraux, 4 missions, 15 objectifs, 46 attendus ; éléments créés : 79, "
        "modifiés : 0, inchangés : 0."
    )


def test_loading_twice_changes_nothing():
    first = load_framework()
    before = snapshot()
    report = load_framework_with_report()
    assert report.version.pk == first.pk and not report.version_created
    assert (report.created, report.updated, report.unchanged) == (0, 0, 79)
    assert snapshot() == before
    assert FrameworkVersion.objects.count() == 1


def test_reload_updates_texts_in_place(variant, write_yaml):
    load_framework()
    before = snapshot()
    kept = ExpectedOutput.objects.get(code="M1.O1.A1")
    attendu(variant, "M1.O1.A1")["texte"] = "Le.La chargé.e de coopération doit tout organiser."
    attendu(variant, "M2.O3.A1")["precision"] = "Une autre précision."
    variant["missions"][3]["objectifs"][2]["attendus"].append(
        {"code": "M4.O3.A4", "texte": "Le.La chargé.e de coopération doit rendre compte."}
    )
    report = load_framework_with_report(write_yaml(variant))
    assert (report.created, report.updated, report.unchanged) == (1, 2, 77)
    after = snapshot()
    key = ("ExpectedOutput", "M1.O1.A1", "touraine-2022-01")
    assert after[key][0] == kept.pk
    assert ExpectedOutput.objects.get(pk=kept.pk).texte == (
        "Le.La chargé.e de coopération doit tout organiser."
    )
    assert ExpectedOutput.objects.get(code="M2.O3.A1").precision == "Une autre précision."
    added = ExpectedOutput.objects.get(code="M4.O3.A4")
    assert (added.objective.code, added.position) == ("M4.O3", 4)
    # Every element kept its primary key.
    assert {k: v[0] for k, v in before.items()} == {
        k: v[0] for k, v in after.items() if k[1] != "M4.O3.A4"
    }


def test_reload_follows_a_new_order(variant, write_yaml):
    load_framework()
    outputs = variant["missions"][0]["objectifs"][0]["attendus"]
    outputs.reverse()
    load_framework(write_yaml(variant))
    exported = export_framework(FrameworkVersion.objects.get())
    codes = [a["code"] for a in exported["missions"][0]["objectifs"][0]["attendus"]]
    assert codes == ["M1.O1.A3", "M1.O1.A2", "M1.O1.A1"]


def test_reload_refuses_to_remove_elements(variant, write_yaml):
    load_framework()
    before = snapshot()
    variant["missions"][3]["objectifs"][2]["attendus"].pop()  # M4.O3.A3
    del variant["missions"][1]["objectifs"][2]  # M2.O3 and M2.O3.A1
    attendu(variant, "M1.O1.A1")["texte"] = "Un texte qui ne doit pas être écrit."
    with pytest.raises(FrameworkConflictError) as error:
        load_framework(write_yaml(variant))
    message = str(error.value)
    assert "\n" not in message
    assert "3 de ses éléments ne sont plus dans le fichier (M2.O3, M2.O3.A1, M4.O3.A3)" in message
    assert "nouveau code de version" in message
    assert snapshot() == before  # nothing written, not even the changed text
    assert isinstance(error.value, FrameworkFileError)  # callers catch one exception


def test_new_version_is_loaded_beside_the_old_one(variant, write_yaml):
    old = load_framework()
    before = snapshot()
    # Something (a job description, an annual report…) refers to an attendu of the old version.
    referred = ExpectedOutput.objects.get(code="M2.O3.A1")
    variant["version"] = "touraine-2025-01"
    variant["date_publication"] = "2025-01-01"
    variant["titre"] = "Référentiel révisé"
    del variant["missions"][1]["objectifs"][2]  # M2.O3 disappears in the new edition
    attendu(variant, "M1.O1.A1")["texte"] = "Le.La chargé.e de coopération doit organiser."
    new = load_framework(write_yaml(variant))

    assert new.pk != old.pk
    assert FrameworkVersion.objects.count() == 2
    assert list(versions_newest_first()) == [new, old]
    after = snapshot()
    assert {k: v for k, v in after.items() if k[2] == "touraine-2022-01"} == before
    referred.refresh_from_db()
    assert referred.objective.mission.version == old
    assert referred.texte.startswith("Le.La chargé.e de coopération doit garantir")
    assert ExpectedOutput.objects.filter(objective__mission__version=new).count() == 45
    assert (
        ExpectedOutput.objects.get(code="M1.O1.A1", objective__mission__version=new).texte
        == "Le.La chargé.e de coopération doit organiser."
    )
    # Reloading the old file later does not touch the new version, and vice versa.
    load_framework()
    assert {k: v for k, v in snapshot().items()} == after


def test_export_shape_and_order(framework, django_assert_num_queries):
    with django_assert_num_queries(6):
        data = export_framework(framework)
    assert list(data) == [
        "version",
        "source",
        "fonctions",
        "spheres",
        "attendus_generaux",
        "missions",
    ]
    assert data["version"] == "touraine-2022-01"
    assert (
        data["source"] == "Caf de Touraine, Référentiel chargé(e) de coopération Ctg, janvier 2022"
    )
    assert [list(f) for f in data["fonctions"]] == [["code", "titre", "description"]] * 4
    assert [list(s) for s in data["spheres"]] == [["code", "titre", "description"]] * 4
    assert [list(g) for g in data["attendus_generaux"]] == [["code", "texte"]] * 6
    assert [list(m) for m in data["missions"]] == [["code", "titre", "objectifs"]] * 4
    objectives = [o for m in data["missions"] for o in m["objectifs"]]
    assert [list(o) for o in objectives] == [["code", "titre", "attendus"]] * 15
    outputs = [a for o in objectives for a in o["attendus"]]
    assert [list(a) for a in outputs] == [["code", "texte"]] * 46
    assert [a["code"] for a in outputs][:4] == ["M1.O1.A1", "M1.O1.A2", "M1.O1.A3", "M1.O2.A1"]
    assert outputs[-1]["code"] == "M4.O3.A3"


def test_export_query_count_does_not_grow_with_data(
    framework, variant, write_yaml, django_assert_num_queries
):
    variant["version"] = "grande"
    for mission in variant["missions"]:
        for objective in mission["objectifs"]:
            objective["attendus"] += [
                {"code": f"{objective['code']}.A{n}", "texte": f"Attendu n° {n}."}
                for n in range(10, 40)
            ]
    big = load_framework(write_yaml(variant))
    with django_assert_num_queries(6):
        data = export_framework(big)
    assert sum(len(o["attendus"]) for m in data["missions"] for o in m["objectifs"]) == 46 + 450


# --- Invalid files ------------------------------------------------------------------------


def _set(path, value):
    def change(data):
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _delete(path):
    def change(data):
        target = data
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return change


M1_O1_A1 = ["missions", 0, "objectifs", 0, "attendus", 0]

INVALID = [
    (
        "champ manquant",
        _delete(["missions", 0, "titre"]),
        "mission n° 1 (M1) : le champ « titre » est manquant",
    ),
    (
        "champ de premier niveau manquant",
        _delete(["source"]),
        "variante.yaml » : le champ « source » est manquant",
    ),
    (
        "mauvais type",
        _set([*M1_O1_A1, "texte"], 12),
        "mission n° 1 (M1) › objectif n° 1 (M1.O1) › attendu n° 1 (M1.O1.A1) : le champ « texte » "
        "doit être un texte, pas un nombre",
    ),
    (
        "texte vide",
        _set(["fonctions", 1, "description"], "  "),
        "fonction n° 2 (F2) : le champ « description » est vide",
    ),
    (
        "liste attendue",
        _set(["missions"], {"M1": "…"}),
        "le champ « missions » doit être une liste, pas un dictionnaire",
    ),
    (
        "liste vide",
        _set(["missions", 3, "objectifs"], []),
        "mission n° 4 (M4) : la liste « objectifs » est vide",
    ),
    (
        "élément qui n'est pas un dictionnaire",
        _set(["spheres", 0], "LE PILOTAGE"),
        "sphère n° 1 : un dictionnaire est attendu, pas un texte",
    ),
    (
        "champ inconnu",
        _set(["missions", 0, "objectifs", 0, "commentaire"], "?"),
        "objectif n° 1 (M1.O1) : champ inconnu « commentaire »",
    ),
    (
        "code en double",
        _set([*M1_O1_A1[:-1], 1, "code"], "M1.O1.A1"),
        "attendu n° 2 (M1.O1.A1) : le code « M1.O1.A1 » est en double (déjà utilisé : mission n° 1 "
        "(M1) › objectif n° 1 (M1.O1) › attendu n° 1 (M1.O1.A1))",
    ),
    (
        "code hors de son parent",
        _set(["missions", 1, "objectifs", 0, "code"], "M1.O7"),
        "objectif n° 1 (M1.O7) : le code « M1.O7 » ne commence pas par « M2. »",
    ),
    (
        "attendu hors de son objectif",
        _set([*M1_O1_A1, "code"], "M1.O2.A9"),
        "le code « M1.O2.A9 » ne commence pas par « M1.O1. »",
    ),
    (
        "code mal formé",
        _set(["fonctions", 0, "code"], "X1"),
        "le code « X1 » est mal formé (forme attendue : F<numéro>)",
    ),
    (
        "code d'objectif mal formé",
        _set(["missions", 0, "objectifs", 0, "code"], "M1.1"),
        "le code « M1.1 » est mal formé (forme attendue : M1.O<numéro>)",
    ),
    (
        "code de version mal formé",
        _set(["version"], "Touraine 2022"),
        "le code de version « Touraine 2022 » est mal formé",
    ),
    (
        "date impossible",
        _set(["date_publication"], "2022-02-30"),
        "la date « 2022-02-30 » du champ « date_publication » n'existe pas",
    ),
    (
        "date mal formée",
        _set(["date_publication"], "janvier 2022"),
        "le champ « date_publication » doit être une date AAAA-MM-JJ, pas « janvier 2022 »",
    ),
    (
        "titre trop long",
        _set(["fonctions", 0, "titre"], "x" * 201),
        "le champ « titre » dépasse 200 caractères",
    ),
]


@pytest.mark.parametrize(("change", "expected"), [pytest.param(c, e, id=i) for i, c, e in INVALID])
def test_invalid_file_is_refused_with_a_french_message(variant, write_yaml, change, expected):
    change(variant)
    path = write_yaml(variant)
    with pytest.raises(FrameworkFileError) as error:
        load_framework(path)
    message = str(error.value)
    assert message.startswith(f"fichier « {path} »")
    assert expected in message
    assert "\n" not in message
    assert FrameworkVersion.objects.count() == 0


RAW_INVALID = [
    (
        "yaml invalide",
        "version: [touraine\ntitre: x\n",
        "ligne 2, colonne 6 : YAML invalide (expected ',' or ']', but got ':')",
    ),
    (
        "clé en double",
        "version: a\nversion: b\n",
        "ligne 2, colonne 1 : YAML invalide (clé « version » en double)",
    ),
    ("pas un dictionnaire", "- version: a\n", ": un dictionnaire est attendu, pas une liste"),
    ("fichier vide", "", ": un dictionnaire est attendu, pas vide"),
    # Security probe (issue 10): these were Python tracebacks.
    ("1 000 crochets", "[" * 1_000, " : imbrication trop profonde (64 niveaux au plus)"),
    ("nombre géant", "version: " + "9" * 5_000, " : nombre trop long (plus de 4 300 chiffres)"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in RAW_INVALID]
)
def test_invalid_yaml_is_refused(tmp_path, text, expected):
    path = tmp_path / "referentiel.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkFileError) as error:
        parse_framework(path)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_file_not_in_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("titre: Référentiel\n".encode("latin-1"))
    with pytest.raises(
        FrameworkFileError,
        match=r"latin1\.yaml » : n'est pas encodé en UTF-8 \(octet n° 9 invalide\)$",
    ):
        parse_framework(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(FrameworkFileError, match=r"absent\.yaml » : introuvable$"):
        parse_framework(tmp_path / "absent.yaml")


def test_optional_fields_may_be_left_out(variant, write_yaml):
    del attendu(variant, "M2.O3.A1")["precision"]
    del variant["missions"][3]["objectifs"][0]["sous_titre"]
    data = parse_framework(write_yaml(variant))
    assert next(a for a in data.expected_outputs() if a.code == "M2.O3.A1").precision == ""
    assert data.missions[3].objectifs[0].sous_titre == ""
