"""parse_simulation_input: one precise French message for each invalid request."""

import copy
import datetime as dt
from decimal import Decimal

import pytest

from coopctg.funding.rules import (
    Architecture,
    Assignment,
    CejBase,
    Envelope,
    InvalidInput,
    Person,
    PostType,
    parse_simulation_input,
)

VALID = {
    "date": "2022-01-01",
    "collectivite": "CC Touraine Est Vallées",
    "base_cej": {"montant": 48000, "etp": 2},
    "thematiques_ctg": ["petite_enfance", "parentalite"],
    "personnes": [
        {
            "id": "x",
            "nom": "M. X",
            "fonction": "Coordinateur Petite Enfance",
            "type_poste": "thematique",
            "affectations": [
                {"enveloppe": "petite_enfance", "etp": 0.4},
                {"enveloppe": "parentalite", "etp": "0.2"},
            ],
        },
        {
            "id": "c",
            "type_poste": "coordination_generale",
            "affectations": [{"enveloppe": "petite_enfance", "etp": Decimal("0.15")}],
        },
    ],
}


def test_valid_request():
    assert parse_simulation_input(VALID) == Architecture(
        date=dt.date(2022, 1, 1),
        collectivite="CC Touraine Est Vallées",
        cej_base=CejBase(amount=Decimal("48000"), etp=Decimal("2")),
        ctg_envelopes=(Envelope.PETITE_ENFANCE, Envelope.PARENTALITE),
        persons=(
            Person(
                id="x",
                name="M. X",
                function="Coordinateur Petite Enfance",
                post_type=PostType.THEMATIQUE,
                assignments=(
                    Assignment(Envelope.PETITE_ENFANCE, Decimal("0.4")),
                    Assignment(Envelope.PARENTALITE, Decimal("0.2")),
                ),
            ),
            Person(
                id="c",
                post_type=PostType.COORDINATION_GENERALE,
                assignments=(Assignment(Envelope.PETITE_ENFANCE, Decimal("0.15")),),
            ),
        ),
    )


def test_numbers_are_decimals_with_two_places():
    architecture = parse_simulation_input(VALID)
    etp = architecture.persons[0].assignments[0].etp
    assert isinstance(etp, Decimal)
    assert str(etp) == "0.40"
    assert str(architecture.cej_base.amount) == "48000.00"


def test_optional_fields_may_be_absent_or_null():
    data = copy.deepcopy(VALID)
    del data["collectivite"], data["base_cej"]
    data["thematiques_ctg"] = None
    architecture = parse_simulation_input(data)
    assert architecture.cej_base is None
    assert architecture.ctg_envelopes is None
    assert architecture.collectivite is None


def with_change(path, value):
    """VALID with ``value`` at ``path`` (a tuple of keys / indexes); ``...`` deletes the key."""
    data = copy.deepcopy(VALID)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


ETP = ("personnes", 0, "affectations", 0, "etp")
WHERE = "personnes[0].affectations[0].etp"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "le document : un objet JSON {…} est attendu"),
        (
            with_change(("personne",), []),
            "le document : champ inconnu « personne » (champs possibles : date, collectivite, "
            "base_cej, thematiques_ctg, personnes)",
        ),
        # missing fields
        (with_change(("date",), ...), "le document : champ obligatoire « date » manquant"),
        (
            with_change(("personnes",), ...),
            "le document : champ obligatoire « personnes » manquant",
        ),
        (
            with_change(("personnes", 0, "type_poste"), ...),
            "personnes[0] : champ obligatoire « type_poste » manquant",
        ),
        (
            with_change(("personnes", 1, "id"), ...),
            "personnes[1] : champ obligatoire « id » manquant",
        ),
        (
            with_change(("personnes", 0, "affectations", 1, "enveloppe"), ...),
            "personnes[0].affectations[1] : champ obligatoire « enveloppe » manquant",
        ),
        (
            with_change(ETP, ...),
            "personnes[0].affectations[0] : champ obligatoire « etp » manquant",
        ),
        (
            with_change(ETP, None),
            "personnes[0].affectations[0] : champ obligatoire « etp » manquant",
        ),
        (
            with_change(("base_cej", "montant"), ...),
            "base_cej : champ obligatoire « montant » manquant",
        ),
        (with_change(("base_cej", "etp"), ...), "base_cej : champ obligatoire « etp » manquant"),
        (
            with_change(("personnes",), []),
            "personnes : une liste non vide de personnes est attendue",
        ),
        (
            with_change(("personnes", 0, "affectations"), []),
            "personnes[0].affectations : une liste non vide d'affectations est attendue",
        ),
        (with_change(("personnes", 0), "x"), "personnes[0] : un objet JSON {…} est attendu"),
        # unknown codes
        (
            with_change(("personnes", 0, "affectations", 0, "enveloppe"), "jeunesse"),
            "personnes[0].affectations[0].enveloppe : enveloppe inconnue « jeunesse » (codes "
            "possibles : petite_enfance, enfance_jeunesse, parentalite, avs_logement_acces_droits)",
        ),
        (
            with_change(("personnes", 0, "type_poste"), "dgs"),
            "personnes[0].type_poste : type de poste inconnu « dgs » (codes possibles : "
            "coordination_generale, thematique, coordination_locale)",
        ),
        (
            with_change(("thematiques_ctg",), ["petite_enfance", "handicap"]),
            "thematiques_ctg[1] : enveloppe inconnue « handicap »",
        ),
        (
            with_change(("thematiques_ctg",), ["parentalite", "parentalite"]),
            "thematiques_ctg[1] : « parentalite » figure deux fois",
        ),
        (
            with_change(("thematiques_ctg",), "parentalite"),
            "thematiques_ctg : une liste de codes d'enveloppes est attendue",
        ),
        # Etp
        (with_change(ETP, "0.123"), f"{WHERE} : « 0.123 » a plus de 2 décimales"),
        (with_change(ETP, 0.123), f"{WHERE} : « 0.123 » a plus de 2 décimales"),
        (
            with_change(ETP, 0.1 + 0.2),
            f"{WHERE} : « 0.30000000000000004 » a plus de 2 décimales",
        ),
        (with_change(ETP, 0), f"{WHERE} : « 0 » : un Etp doit être strictement positif"),
        (with_change(ETP, "0.00"), f"{WHERE} : « 0.00 » : un Etp doit être strictement positif"),
        (with_change(ETP, -0.2), f"{WHERE} : « -0.2 » : un Etp doit être strictement positif"),
        (with_change(ETP, "-0.2"), f"{WHERE} : « -0.2 » n'est pas un nombre positif en chiffres"),
        (with_change(ETP, True), f"{WHERE} : un Etp est attendu, pas « true »"),
        (with_change(ETP, [0.2]), f"{WHERE} : un Etp est attendu, pas une liste"),
        (with_change(ETP, float("nan")), f"{WHERE} : « nan » n'est pas un nombre fini"),
        (with_change(ETP, Decimal("Infinity")), f"{WHERE} : « Infinity » n'est pas un nombre fini"),
        (with_change(ETP, "NaN"), f"{WHERE} : « NaN » n'est pas un nombre positif en chiffres"),
        (
            with_change(ETP, "0,4"),
            f"{WHERE} : « 0,4 » n'est pas un nombre positif en chiffres (point décimal attendu, "
            "pas de virgule)",
        ),
        (with_change(ETP, " 0.4"), f"{WHERE} : «  0.4 » n'est pas un nombre positif en chiffres"),
        (with_change(ETP, "1e-1"), f"{WHERE} : « 1e-1 » n'est pas un nombre positif en chiffres"),
        (with_change(ETP, 1e-3), f"{WHERE} : « 0.001 » a plus de 2 décimales"),
        (with_change(ETP, 10**6), f"{WHERE} : « 1000000 » est hors limites (au plus 1000)"),
        # base_cej
        (
            with_change(("base_cej", "montant"), -1),
            "base_cej.montant : « -1 » : un montant en euros ne peut pas être négatif",
        ),
        (with_change(("base_cej", "montant"), 1.234), "base_cej.montant : « 1.234 » a plus de 2"),
        (
            with_change(("base_cej", "etp"), 0),
            "base_cej.etp : « 0 » : un Etp doit être strictement positif",
        ),
        (with_change(("base_cej",), 48000), "base_cej : un objet JSON {…} est attendu"),
        (
            with_change(("base_cej", "plafond"), 1),
            "base_cej : champ inconnu « plafond » (champs possibles : montant, etp)",
        ),
        # duplicates
        (
            with_change(("personnes", 1, "id"), "x"),
            "personnes[1].id : identifiant « x » en double",
        ),
        (
            with_change(("personnes", 0, "affectations", 1, "enveloppe"), "petite_enfance"),
            "personnes[0].affectations[1].enveloppe : l'enveloppe « petite_enfance » est déjà "
            "affectée à cette personne (une seule affectation par enveloppe)",
        ),
        (
            with_change(("personnes", 0, "id"), ""),
            "personnes[0].id : un identifiant texte non vide",
        ),
        (with_change(("personnes", 0, "id"), 7), "personnes[0].id : un identifiant texte non vide"),
        (with_change(("personnes", 0, "nom"), 7), "personnes[0].nom : un texte est attendu"),
        (with_change(("collectivite",), 37), "collectivite : un texte est attendu"),
        # dates
        (
            with_change(("date",), "2023-02-30"),
            "date : la date « 2023-02-30 » n'existe pas dans le calendrier",
        ),
        (
            with_change(("date",), "01/02/2023"),
            "date : la date « 01/02/2023 » est mal formée (format attendu : AAAA-MM-JJ)",
        ),
        (with_change(("date",), 20230201), "date : une date « AAAA-MM-JJ » est attendue"),
    ],
)
def test_invalid_requests(data, message):
    with pytest.raises(InvalidInput) as error:
        parse_simulation_input(data)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("value", [1, "1", "0.01", 0.01, "999.99", Decimal("0.5")])
def test_accepted_etp(value):
    architecture = parse_simulation_input(with_change(ETP, value))
    assert architecture.persons[0].assignments[0].etp == Decimal(str(value))


def test_model_refuses_invalid_values_built_directly():
    with pytest.raises(ValueError, match="Etp invalide"):
        Assignment(Envelope.PARENTALITE, Decimal("0.123"))
    with pytest.raises(ValueError, match="Etp invalide"):
        Assignment(Envelope.PARENTALITE, Decimal(0))
    with pytest.raises(ValueError, match="montant invalide"):
        CejBase(amount=Decimal("-1"), etp=Decimal(1))
    with pytest.raises(ValueError, match="Etp invalide"):
        CejBase(amount=Decimal(1), etp=Decimal("NaN"))


def test_names_are_cleaned_of_control_characters():
    """Security probe (issue 10): a Word line break (\\x0b) in a name reached the database
    through the Cof import and the API, then broke every workbook of the Caf."""
    data = copy.deepcopy(VALID)
    person = data["personnes"][0]
    person.update(id="x\x01", nom="M.\x0bX", fonction="Coordinateur\nPetite Enfance\x1f")
    data["collectivite"] = "CC\x0cTouraine"
    architecture = parse_simulation_input(data)
    first = architecture.persons[0]
    assert (first.id, first.name, first.function) == ("x", "M. X", "Coordinateur Petite Enfance")
    assert architecture.collectivite == "CC Touraine"
    with pytest.raises(InvalidInput, match="un identifiant texte non vide est attendu"):
        parse_simulation_input({**data, "personnes": [{**person, "id": "\x01"}]})
