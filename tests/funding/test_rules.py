"""The funding rules beyond the YAML tables: parameters of a Caf, messages, JSON output."""

import datetime as dt
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from coopctg.funding.caf_parameters import DEFAULT_ROOT
from coopctg.funding.rules import (
    Architecture,
    Assignment,
    CejBase,
    Envelope,
    ParameterFileError,
    ParameterNotInForce,
    Person,
    PostType,
    compute_funding,
    load_funding_parameters,
    result_to_json,
    split_cents,
)

TEST_PARAMETERS = Path(__file__).parent / "parametres"

CAF_37 = DEFAULT_ROOT / "caf-37"
NBSP, NNBSP = "\u00a0", "\u202f"
ASSIGNMENT_PASSAGE = (
    "référentiel « Chargé(e) de coopération Ctg » de la Caf de Touraine (janvier 2022), "
    "« Conditions d'éligibilité au financement » : « Cette clé de répartition ne peut pas être "
    "inférieure à 0,2 Etp par affectation. »"
)


@pytest.fixture(scope="module")
def caf37():
    return load_funding_parameters(CAF_37)


def person(id, post_type, *lines, name=None):
    return Person(
        id=id,
        name=name,
        post_type=PostType(post_type),
        assignments=tuple(Assignment(Envelope(e), Decimal(etp)) for e, etp in lines),
    )


def test_caf_37_parameters_with_their_sources(caf37):
    params = caf37.at(dt.date(2022, 1, 1))
    assert params.caf == "37"
    assert params.flat_rate.value == Decimal("24000")
    assert params.flat_rate.since == dt.date(2022, 1, 1)
    assert "le montant forfaitaire de l'aide de la Caf est de 24 000 € / Etp" in (
        params.flat_rate.reference
    )
    assert params.threshold.value == Decimal("0.2")
    assert "ne peut pas être inférieure à 0,2 Etp par affectation" in params.threshold.reference
    assert [(e.code.value, e.label) for e in params.envelopes.value] == [
        ("petite_enfance", "Petite enfance"),
        ("enfance_jeunesse", "Enfance-jeunesse"),
        ("parentalite", "Parentalité"),
        ("avs_logement_acces_droits", "Animation de la vie sociale, logement et accès aux droits"),
    ]
    assert [
        (p.code.value, p.per_assignment_threshold, p.full_time_funded)
        for p in params.post_types.value
    ] == [
        ("coordination_generale", False, True),
        ("thematique", True, False),
        ("coordination_locale", True, True),
    ]


def test_date_before_the_first_value_is_a_french_error(caf37):
    with pytest.raises(ParameterNotInForce) as error:
        caf37.at(dt.date(2021, 12, 31))
    assert str(error.value) == (
        "le paramètre « forfait_etp » n'a pas de valeur en vigueur au 31/12/2021 : sa première "
        "valeur prend effet le 01/01/2022"
    )


def test_test_parameters_change_on_2024_01_01():
    parameters = load_funding_parameters(TEST_PARAMETERS / "caf-test")
    assert parameters.caf == "test"
    assert parameters.at(dt.date(2023, 12, 31)).flat_rate.value == Decimal("24000")
    assert parameters.at(dt.date(2024, 1, 1)).flat_rate.value == Decimal("25000")
    assert parameters.at(dt.date(2024, 1, 1)).flat_rate.since == dt.date(2024, 1, 1)


@pytest.fixture
def caf_copy(tmp_path):
    folder = tmp_path / "caf-99"
    shutil.copytree(CAF_37, folder)
    return folder


def test_a_caf_administrator_adds_a_dated_value_without_code(caf_copy):
    path = caf_copy / "forfait_etp.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "  2026-01-01:\n    valeur: 24500.50\n    reference: Délibération du conseil\n",
        encoding="utf-8",
    )
    parameters = load_funding_parameters(caf_copy)
    assert parameters.caf == "99"
    architecture = Architecture(
        date=dt.date(2026, 1, 1), persons=(person("x", "thematique", ("parentalite", "0.5")),)
    )
    result = compute_funding(architecture, parameters)
    assert result.total_amount == Decimal("12250.25")
    assert result.parameters.flat_rate.reference == "Délibération du conseil"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "forfait_etp.yaml",
            "description: d\nvaleurs:\n  2022-01-01: {valeur: 24000.001, reference: r}\n",
            "valeur du 2022-01-01 : un montant positif au centime est attendu",
        ),
        (
            "seuil_affectation.yaml",
            "description: d\nvaleurs:\n  2022-01-01: {valeur: zéro, reference: r}\n",
            "un Etp positif (au plus 2 décimales) est attendu",
        ),
        (
            "enveloppes.yaml",
            "description: d\nvaleurs:\n  2022-01-01:\n    valeur: [{code: petite_enfance, "
            "libelle: PE}]\n    reference: r\n",
            "les codes doivent être exactement petite_enfance, enfance_jeunesse, parentalite, "
            "avs_logement_acces_droits, dans cet ordre",
        ),
        (
            "types_poste.yaml",
            "description: d\nvaleurs:\n  2022-01-01:\n    valeur: [{code: thematique}]\n"
            "    reference: r\n",
            "chaque élément doit avoir les clés code, libelle, seuil_par_affectation, "
            "temps_plein_finance, reparti_sur_les_enveloppes, temps_plein_exclu_si_seulement",
        ),
        (
            "types_poste.yaml",
            (Path(__file__).parent / "parametres" / "caf-test" / "types_poste.yaml")
            .read_text(encoding="utf-8")
            .replace(
                "temps_plein_exclu_si_seulement: [petite_enfance, enfance_jeunesse]",
                "temps_plein_exclu_si_seulement: [petite_enfance, creche]",
            ),
            "coordination_locale, temps_plein_exclu_si_seulement : une liste de codes "
            "d'enveloppes (petite_enfance, enfance_jeunesse, parentalite, "
            "avs_logement_acces_droits) est attendue",
        ),
    ],
)
def test_malformed_funding_values_are_rejected_at_load(caf_copy, name, text, message):
    (caf_copy / name).write_text(text, encoding="utf-8")
    with pytest.raises(ParameterFileError) as error:
        load_funding_parameters(caf_copy)
    assert message in str(error.value)
    assert name in str(error.value)


def test_missing_parameter_file(caf_copy):
    (caf_copy / "seuil_affectation.yaml").unlink()
    with pytest.raises(ParameterFileError, match="« seuil_affectation » est absent du dossier"):
        load_funding_parameters(caf_copy)


def test_parameters_of_another_date_are_refused(caf37):
    architecture = Architecture(
        date=dt.date(2023, 1, 1), persons=(person("x", "thematique", ("parentalite", "0.5")),)
    )
    with pytest.raises(ValueError, match="paramètres pris au 2022-01-01"):
        compute_funding(architecture, caf37.at(dt.date(2022, 1, 1)))
    assert compute_funding(architecture, caf37.at(dt.date(2023, 1, 1))).total_amount == 12000


def test_anomaly_messages_are_french_and_cite_the_referentiel(caf37):
    architecture = Architecture(
        date=dt.date(2022, 6, 1),
        cej_base=CejBase(amount=Decimal(48000), etp=Decimal(2)),
        ctg_envelopes=(Envelope.PETITE_ENFANCE,),
        persons=(
            person(
                "x", "thematique", ("petite_enfance", "0.85"), ("parentalite", "0.19"), name="M. X"
            ),
        ),
    )
    result = compute_funding(architecture, caf37)
    messages = {anomaly.code.value: anomaly.message for anomaly in result.anomalies}
    assert list(messages) == [
        "SEUIL_AFFECTATION",
        "ENVELOPPE_HORS_CTG",
        "ETP_PERSONNE_DEPASSE",
        "POSTE_THEMATIQUE_TEMPS_PLEIN",
    ]
    assert messages["SEUIL_AFFECTATION"] == (
        f"M. X (« x ») : l'affectation « Parentalité » de 0,19{NBSP}Etp est inférieure au seuil "
        f"de 0,2{NBSP}Etp par affectation — {ASSIGNMENT_PASSAGE}"
    )
    assert messages["ENVELOPPE_HORS_CTG"].startswith(
        f"M. X (« x ») : l'enveloppe « Parentalité » (0,19{NBSP}Etp) n'est pas une thématique "
        "de la Ctg — référentiel"
    )
    assert "ceux inscrits dans la Ctg" in messages["ENVELOPPE_HORS_CTG"]
    assert messages["ETP_PERSONNE_DEPASSE"].startswith(
        f"M. X (« x ») : les affectations totalisent 1,04{NBSP}Etp, plus qu'un temps plein "
        f"(1{NBSP}Etp)"
    )
    assert "à hauteur d'un Etp" in messages["POSTE_THEMATIQUE_TEMPS_PLEIN"]
    assert not result.eligible


def test_new_development_message(caf37):
    base = CejBase(amount=Decimal(48000), etp=Decimal(2))
    persons = (
        person("a", "coordination_locale", ("avs_logement_acces_droits", "1")),
        person("b", "coordination_locale", ("parentalite", "1.5")),
    )
    over = compute_funding(Architecture(dt.date(2022, 6, 1), persons, cej_base=base), caf37)
    (anomaly,) = [a for a in over.anomalies if a.code == "NOUVEAU_DEVELOPPEMENT"]
    assert anomaly.severity == "avertissement"
    assert anomaly.person_id is None and anomaly.envelope is None
    assert anomaly.message.startswith(
        f"Nouveau développement : les 2,5{NBSP}Etp dépassent la base Cej redéployée de "
        f"2{NBSP}Etp : les 0,5{NBSP}Etp supplémentaires sont financés au forfait de "
        f"24{NNBSP}000{NBSP}€ par Etp et demandent l'accord préalable de la Caf — référentiel"
    )
    assert "d'un accord de la Caf" in anomaly.message
    no_base = compute_funding(Architecture(dt.date(2022, 6, 1), persons[:1]), caf37)
    assert no_base.anomalies[0].message.startswith(
        f"Nouveau développement : sans base Cej redéployée, les 1{NBSP}Etp sont financés"
    )
    assert no_base.eligible


def test_result_to_json_uses_two_decimal_strings(caf37):
    architecture = Architecture(
        date=dt.date(2022, 1, 1),
        persons=(person("c", "coordination_generale", ("parentalite", "0.1")),),
    )
    output = result_to_json(compute_funding(architecture, caf37))
    assert output["parametres"]["forfait_etp"] == "24000.00"
    assert output["parametres"]["seuil_affectation"] == "0.20"
    assert output["parametres"]["sources"]["forfait_etp"]["date_effet"] == "2022-01-01"
    assert output["lignes"] == [
        {"personne": "c", "enveloppe": "parentalite", "etp": "0.10", "montant": "2400.00"}
    ]
    assert output["enveloppes"] == [
        {"enveloppe": "petite_enfance", "etp": "0.00", "montant": "0.00"},
        {"enveloppe": "enfance_jeunesse", "etp": "0.00", "montant": "0.00"},
        {"enveloppe": "parentalite", "etp": "0.10", "montant": "2400.00"},
        {"enveloppe": "avs_logement_acces_droits", "etp": "0.00", "montant": "0.00"},
    ]
    assert output["personnes"] == [{"id": "c", "etp": "0.10", "montant": "2400.00"}]
    assert output["total"] == {"etp": "0.10", "montant": "2400.00"}
    assert [a["code"] for a in output["anomalies"]] == ["SEUIL_POSTE", "NOUVEAU_DEVELOPPEMENT"]
    assert output["anomalies"][0]["gravite"] == "bloquante"
    assert output["anomalies"][0]["personne"] == "c"
    assert output["anomalies"][0]["enveloppe"] is None
    assert output["eligible"] is False


def test_empty_architecture_is_funded_zero(caf37):
    result = compute_funding(Architecture(dt.date(2022, 1, 1), persons=()), caf37)
    assert result.total_amount == 0
    assert result.lines == ()


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (333333, [33, 33, 34], [110000, 110000, 113333]),
        (10001, [50, 50], [5001, 5000]),
        (10000, [30, 30, 30], [3334, 3333, 3333]),
        (7, [1, 1, 1, 1], [2, 2, 2, 1]),
        (0, [10, 20], [0, 0]),
        (5, [0, 0], [0, 0]),
    ],
)
def test_split_cents_largest_remainders_ties_in_input_order(total, weights, expected):
    assert split_cents(total, weights) == expected


def test_rules_and_parameters_import_no_django():
    code = (
        "import sys, coopctg.core.params, coopctg.funding.rules, coopctg.funding.caf_parameters; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
