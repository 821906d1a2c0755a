"""``coopctg financement simuler``: the seed's example end to end, and every input error.

No test here may use the database (pytest-django refuses it without the ``django_db`` mark),
and the real processes run with an unreachable ``DATABASE_URL``: the command needs no database.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from coopctg.funding.caf_parameters import ENV_VAR

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEST_PARAMETERS = HERE / "parametres"
EXAMPLE = ROOT / "coopctg" / "funding" / "examples" / "exemple-referentiel.json"
EXPECTED = json.loads((HERE / "exemple-referentiel.attendu.json").read_text(encoding="utf-8"))
#: The référentiel's table: « Le financement sera donc ventilé ainsi ».
SEED_TABLE = {
    ("x", "petite_enfance"): "9600.00",
    ("c", "petite_enfance"): "3600.00",
    ("y", "enfance_jeunesse"): "12000.00",
    ("c", "enfance_jeunesse"): "3600.00",
    ("x", "parentalite"): "4800.00",
    ("c", "parentalite"): "2400.00",
    ("a", "avs_logement_acces_droits"): "7200.00",
    ("c", "avs_logement_acces_droits"): "4800.00",
}
ONE_PERSON = {
    "personnes": [
        {
            "id": "x",
            "type_poste": "thematique",
            "affectations": [{"enveloppe": "parentalite", "etp": 0.5}],
        }
    ]
}


def simulate(*args: str, stdin: bytes | None = None, monkeypatch=None) -> dict:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    out = io.StringIO()
    call_command("financement", "simuler", *args, stdout=out)
    return json.loads(out.getvalue())


def run(*args: str, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coopctg.cli", "financement", "simuler", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coopctg.settings",
            "DATABASE_URL": "postgres://personne@127.0.0.1:1/aucune",  # unreachable on purpose
            **(env or {}),
        },
        timeout=60,
        check=False,
    )


def test_expected_output_is_the_referentiel_table():
    assert {
        (line["personne"], line["enveloppe"]): line["montant"] for line in EXPECTED["lignes"]
    } == (SEED_TABLE)
    assert [(e["enveloppe"], e["montant"]) for e in EXPECTED["enveloppes"]] == [
        ("petite_enfance", "13200.00"),
        ("enfance_jeunesse", "15600.00"),
        ("parentalite", "7200.00"),
        ("avs_logement_acces_droits", "12000.00"),
    ]
    assert EXPECTED["total"] == {"etp": "2.00", "montant": "48000.00"}
    assert EXPECTED["anomalies"] == []
    assert EXPECTED["eligible"] is True
    assert EXPECTED["parametres"]["caf"] == "37"
    assert EXPECTED["parametres"]["forfait_etp"] == "24000.00"
    assert EXPECTED["parametres"]["seuil_affectation"] == "0.20"


def test_example_through_call_command():
    assert simulate(str(EXAMPLE)) == EXPECTED


def test_example_on_stdin_through_call_command(monkeypatch):
    assert simulate("-", stdin=EXAMPLE.read_bytes(), monkeypatch=monkeypatch) == EXPECTED


def test_example_without_base_gives_the_same_amounts(monkeypatch):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    del data["base_cej"]
    output = simulate("-", stdin=json.dumps(data).encode(), monkeypatch=monkeypatch)
    for key in ("lignes", "enveloppes", "personnes", "total"):
        assert output[key] == EXPECTED[key]
    assert [a["code"] for a in output["anomalies"]] == ["NOUVEAU_DEVELOPPEMENT"]
    assert output["anomalies"][0]["gravite"] == "avertissement"
    assert output["eligible"] is True


def test_example_through_a_real_process():
    result = run("-", stdin=EXAMPLE.read_bytes())
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    text = result.stdout.decode("utf-8")
    assert "Référentiel « Chargé(e)" in text  # UTF-8, not \u00e9 escapes
    assert json.loads(text) == EXPECTED
    assert text == json.dumps(EXPECTED, ensure_ascii=False, indent=2) + "\n"


def test_parameters_folder_from_the_environment():
    data = {"date": "2024-01-01", **ONE_PERSON}
    result = run(
        "--caf", "test", "-", stdin=json.dumps(data).encode(), env={ENV_VAR: str(TEST_PARAMETERS)}
    )
    assert result.returncode == 0, result.stderr.decode()
    output = json.loads(result.stdout)
    assert output["parametres"]["caf"] == "test"
    assert output["parametres"]["forfait_etp"] == "25000.00"
    assert output["parametres"]["sources"]["forfait_etp"]["date_effet"] == "2024-01-01"
    assert output["total"] == {"etp": "0.50", "montant": "12500.00"}


def test_parameters_folder_from_the_environment_in_process(monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(TEST_PARAMETERS))
    data = {"date": "2023-12-31", **ONE_PERSON}
    output = simulate(
        "--caf", "test", "-", stdin=json.dumps(data).encode(), monkeypatch=monkeypatch
    )
    assert output["parametres"]["forfait_etp"] == "24000.00"


def test_anomalies_still_exit_zero(monkeypatch):
    data = {"date": "2022-01-01", **ONE_PERSON}
    data["personnes"][0]["affectations"][0]["etp"] = 0.1
    output = simulate("-", stdin=json.dumps(data).encode(), monkeypatch=monkeypatch)
    assert output["eligible"] is False
    assert [a["code"] for a in output["anomalies"]] == [
        "SEUIL_AFFECTATION",
        "SEUIL_POSTE",
        "NOUVEAU_DEVELOPPEMENT",
    ]


def valid(**changes) -> bytes:
    data = {"date": "2022-01-01", **json.loads(json.dumps(ONE_PERSON)), **changes}
    return json.dumps(data, ensure_ascii=False).encode()


def with_etp(etp: str) -> bytes:
    """The JSON text with ``etp`` written verbatim (a number, NaN, a string…)."""
    return valid().replace(b'"etp": 0.5', b'"etp": ' + etp.encode())


# (arguments, stdin, fragment of the error line)
ERRORS = {
    "fichier introuvable": (["absent.json"], None, "fichier introuvable : absent.json"),
    "dossier au lieu d'un fichier": (["coopctg"], None, "coopctg est un dossier"),
    "JSON cassé": (["-"], b'{"date": ', "l'entrée standard n'est pas un JSON valide (ligne 1"),
    "fichier vide": (["-"], b"", "l'entrée standard n'est pas un JSON valide"),
    "pas en UTF-8": (
        ["-"],
        '{"date": "2022-01-01", "collectivite": "Sainté"}'.encode("latin-1"),
        "l'entrée standard n'est pas en UTF-8",
    ),
    "document qui n'est pas un objet": (["-"], b"[1, 2]", "un objet JSON {…} est attendu"),
    "champ en double": (
        ["-"],
        b'{"date": "2022-01-01", "date": "2023-01-01"}',
        "champ « date » en double",
    ),
    "date manquante": (["-"], valid().replace(b'"date": "2022-01-01", ', b""), "« date » manquant"),
    "personnes manquantes": (["-"], b'{"date": "2022-01-01"}', "« personnes » manquant"),
    "type de poste manquant": (
        ["-"],
        valid().replace(b'"type_poste": "thematique", ', b""),
        "personnes[0] : champ obligatoire « type_poste » manquant",
    ),
    "enveloppe inconnue": (
        ["-"],
        valid().replace(b'"parentalite"', b'"jeunesse"'),
        "enveloppe inconnue « jeunesse »",
    ),
    "type de poste inconnu": (
        ["-"],
        valid().replace(b'"thematique"', b'"dgs"'),
        "type de poste inconnu « dgs »",
    ),
    "Etp à trois décimales": (["-"], with_etp("0.123"), "« 0.123 » a plus de 2 décimales"),
    "Etp texte à trois décimales": (["-"], with_etp('"0.123"'), "« 0.123 » a plus de 2"),
    "Etp nul": (["-"], with_etp("0"), "un Etp doit être strictement positif"),
    "Etp négatif": (["-"], with_etp("-0.2"), "un Etp doit être strictement positif"),
    "Etp booléen": (["-"], with_etp("true"), "un Etp est attendu, pas « true »"),
    "Etp NaN": (["-"], with_etp("NaN"), "« NaN » n'est pas un nombre fini"),
    "Etp infini": (["-"], with_etp("Infinity"), "« Infinity » n'est pas un nombre fini"),
    "Etp avec virgule": (["-"], with_etp('"0,5"'), "point décimal attendu"),
    "identifiant en double": (
        ["-"],
        valid(personnes=ONE_PERSON["personnes"] * 2),
        "personnes[1].id : identifiant « x » en double",
    ),
    "enveloppe en double pour une personne": (
        ["-"],
        valid().replace(b'"etp": 0.5}', b'"etp": 0.5}, {"enveloppe": "parentalite", "etp": 0.2}'),
        "l'enveloppe « parentalite » est déjà affectée à cette personne",
    ),
    "date impossible": (
        ["-"],
        valid(date="2023-02-30"),
        "date : la date « 2023-02-30 » n'existe pas dans le calendrier",
    ),
    "date mal formée": (["-"], valid(date="30/01/2023"), "la date « 30/01/2023 » est mal formée"),
    "date sans paramètre en vigueur": (
        ["-"],
        valid(date="2021-12-31"),
        "le paramètre « forfait_etp » n'a pas de valeur en vigueur au 31/12/2021",
    ),
    "base Cej négative": (
        ["-"],
        valid(base_cej={"montant": -1, "etp": 1}),
        "base_cej.montant : « -1 » : un montant en euros ne peut pas être négatif",
    ),
    "thématique de Ctg inconnue": (
        ["-"],
        valid(thematiques_ctg=["handicap"]),
        "thematiques_ctg[0] : enveloppe inconnue « handicap »",
    ),
    # Security probe (issue 10): these were Python tracebacks (exit 1).
    "nombre de 5 000 chiffres": (
        ["-"],
        with_etp("9" * 5_000),
        "l'entrée standard : nombre trop long (5000 caractères, 100 au plus)",
    ),
    "100 000 crochets imbriqués": (
        ["-"],
        b"[" * 100_000,
        "l'entrée standard : imbrication trop profonde (64 niveaux au plus)",
    ),
    "Etp à l'exposant immense": (["-"], with_etp("1e999999999"), "« 1E+999999999 » est hors"),
    "code de Caf invalide": (["--caf", "../37", "-"], valid(), "code de Caf invalide"),
}


@pytest.mark.parametrize(("args", "stdin", "fragment"), ERRORS.values(), ids=ERRORS.keys())
def test_input_errors_exit_2_with_one_french_line(args, stdin, fragment, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    with pytest.raises(SystemExit) as exit:
        call_command("financement", "simuler", *args, stdout=io.StringIO())
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ")
    assert err.endswith("\n") and err.count("\n") == 1
    assert "Traceback" not in err
    assert fragment in err


@pytest.mark.parametrize(
    "name",
    [
        "JSON cassé",
        "pas en UTF-8",
        "Etp à trois décimales",
        "date sans paramètre en vigueur",
        "100 000 crochets imbriqués",
    ],
)
def test_input_errors_in_a_real_process(name):
    args, stdin, fragment = ERRORS[name]
    result = run(*args, stdin=stdin)
    assert result.returncode == 2
    assert result.stdout == b""
    err = result.stderr.decode("utf-8")
    assert err.startswith("Erreur : ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert fragment in err


def test_unreadable_file_in_a_real_process(tmp_path):
    result = run(str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert (
        result.stderr.decode("utf-8") == f"Erreur : fichier introuvable : {tmp_path}/absent.json\n"
    )


def test_post_type_anomalies_in_the_json(monkeypatch):
    """A local coordination post at 1,0 Etp on petite enfance alone is blocked; a general post
    on one envelope of a 4-theme Ctg is warned about; both appear like any other anomaly."""
    document = {
        "date": "2024-01-01",
        "base_cej": {"montant": "48000", "etp": "2"},
        "thematiques_ctg": [
            "petite_enfance",
            "enfance_jeunesse",
            "parentalite",
            "avs_logement_acces_droits",
        ],
        "personnes": [
            {
                "id": "l",
                "type_poste": "coordination_locale",
                "affectations": [{"enveloppe": "petite_enfance", "etp": "1.0"}],
            },
            {
                "id": "c",
                "type_poste": "coordination_generale",
                "affectations": [{"enveloppe": "parentalite", "etp": "0.6"}],
            },
        ],
    }
    result = simulate("-", stdin=json.dumps(document).encode(), monkeypatch=monkeypatch)
    found = {(a["code"], a["gravite"], a["personne"]) for a in result["anomalies"]}
    assert found == {
        ("COORDINATION_LOCALE_TEMPS_PLEIN", "bloquante", "l"),
        ("COORDINATION_GENERALE_NON_REPARTIE", "avertissement", "c"),
    }
    assert result["eligible"] is False
    general = next(a for a in result["anomalies"] if a["personne"] == "c")
    assert "« Petite enfance »" in general["message"]
    assert "réparti sur les 4" in general["message"]


def test_a_caf_without_its_own_folder_gets_the_national_defaults(monkeypatch):
    """Onboarding a Caf needs no parameter folder: every value is the national default."""
    person = {"id": "x", "type_poste": "thematique"}
    person["affectations"] = [{"enveloppe": "parentalite", "etp": "0.5"}]
    data = {"date": "2024-01-01", "personnes": [person]}
    output = simulate("--caf", "41", "-", stdin=json.dumps(data).encode(), monkeypatch=monkeypatch)
    assert output["parametres"]["caf"] == "41"
    assert output["parametres"]["forfait_etp"] == "24000.00"
    assert output["total"] == {"etp": "0.50", "montant": "12000.00"}


def test_no_parameter_at_all_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(valid()), encoding="utf-8"))
    with pytest.raises(SystemExit) as exit:
        call_command("financement", "simuler", "--caf", "99", "-")
    assert exit.value.code == 2
    assert "aucun paramètre de financement pour la Caf « 99 »" in capsys.readouterr().err
