"""``import_cof`` and ``coopctg cof importer``: the demo's Cof, the collectivité and Ctg found or
created, and every refusal (one French line, nothing written)."""

import copy
import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from coopctg.agreements.importer import CofImportError, import_cof
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.core.models import AuditEntry
from coopctg.ctg.models import Ctg
from coopctg.organisations.models import LocalAuthority
from tests.factories import CommuneFactory, DepartementFactory, EpciFactory

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "coopctg" / "demo" / "data" / "cof-gatine.json"
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


def demo_data() -> dict:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def world(touraine):
    """The Touraine world whose Gâtine-Racan Ctg covers the 8 themes (as in the demo)."""
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    return touraine


def counts() -> tuple[int, ...]:
    return (
        FundingAgreement.objects.count(),
        AgreementVersion.objects.count(),
        Ctg.objects.count(),
        LocalAuthority.objects.count(),
        AuditEntry.objects.count(),
    )


def test_demo_file_imports_the_referentiel_example_and_its_avenant(world):
    cof = import_cof(demo_data(), generate_documents=False)
    assert cof.numero == "COF-37-2022-001"
    assert (cof.collectivite, cof.ctg) == (world.own, world.ctg_own)
    assert (cof.date_debut, cof.date_fin, cof.statut) == (
        dt.date(2022, 1, 1),
        dt.date(2026, 12, 31),
        "signee",
    )
    v0, v1 = cof.versions.order_by("numero")
    assert (v0.label, v0.date_effet, v0.date_fin, v0.date_signature) == (
        "Cof initiale",
        dt.date(2022, 1, 1),
        dt.date(2023, 6, 30),
        dt.date(2021, 12, 15),
    )
    assert (v1.label, v1.date_effet, v1.date_fin, v1.date_signature) == (
        "Avenant n°1",
        dt.date(2023, 7, 1),
        dt.date(2026, 12, 31),
        dt.date(2023, 6, 20),
    )
    assert (v0.total_montant, v1.total_montant) == (Decimal("48000.00"), Decimal("52800.00"))
    assert v0.total_etp == Decimal("2.00") and v1.total_etp == Decimal("2.20")
    for version in (v0, v1):
        codes = {a["code"] for a in version.ventilation["anomalies"]}
        assert "ENVELOPPE_HORS_CTG" not in codes
    assert {e["enveloppe"]: e["montant"] for e in v1.ventilation["enveloppes"]} == {
        "petite_enfance": "13200.00",
        "enfance_jeunesse": "20400.00",
        "parentalite": "7200.00",
        "avs_logement_acces_droits": "12000.00",
    }
    assert "Mme Y passe de 0,5 à 0,7 Etp" in v1.motif
    persons = list(v1.architecture.personnes.order_by("position"))
    assert [(p.nom, p.employeur) for p in persons][:2] == [
        ("M. X", world.own.nom),
        ("Mme Y", world.own.nom),
    ]
    assert AuditEntry.objects.filter(objet_type="agreements.fundingagreement").exists()


def test_reimporting_the_same_numero_is_an_error(world):
    import_cof(demo_data(), generate_documents=False)
    before = counts()
    with pytest.raises(CofImportError, match="numero : la Cof « COF-37-2022-001 » existe déjà"):
        import_cof(demo_data(), generate_documents=False)
    assert counts() == before


def test_without_numero_the_next_free_one_is_given(world):
    data = demo_data()
    del data["numero"]
    assert import_cof(data, generate_documents=False).numero == "COF-37-2022-001"
    data["debut"] = data["versions"][0]["effet"] = "2022-02-01"
    data["versions"] = data["versions"][:1]
    FundingAgreement.objects.all().update(date_fin=dt.date(2022, 1, 31))
    assert import_cof(data, generate_documents=False).numero == "COF-37-2022-002"


def test_commune_by_insee_and_ctg_covering_the_period(touraine):
    data = demo_data()
    data["collectivite"] = {"insee": "37233"}
    data["numero"] = "COF-SPDC"
    del data["ctg"]
    for version in data["versions"]:
        del version["thematiques_ctg"]
    cof = import_cof(data, generate_documents=False)
    assert cof.collectivite == touraine.other and cof.ctg == touraine.ctg_other
    # The Ctg covers 4 themes only: the figures stand, with their anomalies recorded.
    v0 = cof.versions.get(numero=0)
    assert v0.total_montant == Decimal("48000.00")
    assert "ENVELOPPE_HORS_CTG" in {a["code"] for a in v0.ventilation["anomalies"]}


def test_a_ctg_is_created_with_derived_themes_when_none_covers_the_cof(touraine):
    data = demo_data()
    del data["ctg"]
    data["debut"] = data["versions"][0]["effet"] = "2027-01-01"
    data["fin"] = "2028-12-31"
    data["versions"] = data["versions"][:1]
    version = data["versions"][0]
    del version["thematiques_ctg"]
    version["personnes"] = [
        {
            "id": "c",
            "type_poste": "coordination_locale",
            "affectations": [{"enveloppe": "avs_logement_acces_droits", "etp": 0.5}],
        }
    ]
    cof = import_cof(data, generate_documents=False)
    ctg = cof.ctg
    assert ctg not in (touraine.ctg_own, touraine.ctg_other)
    assert (ctg.date_debut, ctg.date_fin, ctg.statut, ctg.caf) == (
        dt.date(2027, 1, 1),
        dt.date(2028, 12, 31),
        "signee",
        touraine.caf,
    )
    assert ctg.date_signature == dt.date(2027, 1, 1)
    assert ctg.intitule == f"Ctg {touraine.own.nom} 2027-2028"
    assert list(ctg.signataires.all()) == [touraine.own]
    assert ctg.themes == [
        "petite_enfance",
        "jeunesse",
        "parentalite",
        "animation_vie_sociale",
        "logement",
        "acces_droits",
    ]
    assert AuditEntry.objects.filter(objet_type="ctg.ctg", objet_id=str(ctg.pk)).exists()


def test_a_named_ctg_is_created_when_missing(touraine):
    data = demo_data()
    data["ctg"] = {"debut": "2022-01-01", "fin": "2027-06-30", "thematiques": ALL_THEMES[::-1]}
    cof = import_cof(data, generate_documents=False)
    assert cof.ctg.date_fin == dt.date(2027, 6, 30) and cof.ctg.themes == ALL_THEMES
    assert Ctg.objects.filter(signataires=touraine.own).count() == 2


def test_a_territory_without_collectivite_becomes_one_of_its_departements_caf(touraine):
    data = demo_data()
    data["collectivite"] = {"insee": "37123"}  # Neuvy-le-Roi: a commune, not yet a partner
    del data["ctg"]
    cof = import_cof(data, generate_documents=False)
    created = cof.collectivite
    assert (created.kind, created.nom, created.caf) == (
        "commune",
        "Commune de Neuvy-le-Roi",
        touraine.caf,
    )
    epci = EpciFactory(siren="200000099", nom="CC de Test")
    CommuneFactory(departement=touraine.dep, epci=epci)
    CommuneFactory(departement=touraine.dep, epci=epci)
    CommuneFactory(departement=touraine.dep_b, epci=epci)
    data["collectivite"] = {"siren": "200000099"}
    data["numero"] = "COF-TEST"
    cof = import_cof(data, generate_documents=False)
    assert (cof.collectivite.kind, cof.collectivite.nom, cof.collectivite.caf) == (
        "epci",
        "CC de Test",
        touraine.caf,
    )


def test_no_caf_for_the_departement_is_an_error(touraine):
    CommuneFactory(code_insee="18033", nom="Bourges", departement=DepartementFactory(code="18"))
    data = demo_data()
    data["collectivite"] = {"insee": "18033"}
    before = counts()
    with pytest.raises(CofImportError, match="aucune Caf pour le département"):
        import_cof(data, generate_documents=False)
    assert counts() == before


def edit(path, value):
    """A change to the demo document: ``path`` is a list of keys; ``value`` None deletes."""

    def apply(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return data

    return apply


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            edit(["collectivite"], {"siren": "123456789"}),
            "collectivite.siren : aucun EPCI de SIREN « 123456789 »",
        ),
        (
            edit(["collectivite"], {"insee": "99999"}),
            "collectivite.insee : aucune commune de code INSEE « 99999 »",
        ),
        (
            edit(["collectivite"], {"siren": "20007323"}),
            "collectivite.siren : « 20007323 » n'est pas un SIREN (9 chiffres)",
        ),
        (
            edit(["collectivite"], {"siren": "200073237", "insee": "37233"}),
            "collectivite : un SIREN d'EPCI (« siren ») ou un code INSEE",
        ),
        (edit(["debut"], None), "le document : champ obligatoire « debut » manquant"),
        (edit(["versions"], []), "versions : une liste non vide est attendue"),
        (
            edit(["signataires"], "M. le Maire"),
            "le document : champ inconnu « signataires » (champs possibles :",
        ),
        (
            edit(["fin"], "2021-12-31"),
            "fin : la fin de la Cof (31/12/2021) doit suivre son début (01/01/2022)",
        ),
        (edit(["fin"], "2025-02-30"), "fin : la date « 2025-02-30 » n'existe pas"),
        (edit(["debut"], "01/01/2022"), "debut : la date « 01/01/2022 » est mal formée"),
        (
            edit(["versions", 0, "effet"], "2022-02-01"),
            "versions[0].effet : la Cof initiale prend effet au début de la Cof (01/01/2022)",
        ),
        (
            edit(["versions", 1, "effet"], "2022-01-01"),
            "versions[1].effet : un avenant prend effet après la version précédente "
            "(versions[0], le 01/01/2022)",
        ),
        (
            edit(["versions", 1, "effet"], "2027-01-01"),
            "versions[1].effet : la date d'effet 01/01/2027 sort de la période de la Cof "
            "(01/01/2022 – 31/12/2026)",
        ),
        (
            edit(["versions", 1, "personnes", 1, "affectations", 0, "etp"], "0.123"),
            "versions[1].personnes[1].affectations[0].etp : « 0.123 » a plus de 2 décimales",
        ),
        (
            edit(["versions", 1, "personnes", 0, "type_poste"], "directeur"),
            "versions[1].personnes[0].type_poste : type de poste inconnu « directeur »",
        ),
        (
            edit(["versions", 0, "personnes"], None),
            "versions[0] : champ obligatoire « personnes » manquant",
        ),
        (
            edit(["versions", 0, "date"], "2022-01-01"),
            "versions[0] : champ inconnu « date »",
        ),
        (
            edit(["versions", 0, "base_cej", "montant"], -1),
            "versions[0].base_cej.montant : « -1 » : un montant en euros ne peut pas être négatif",
        ),
        (
            edit(["versions", 0, "thematiques_ctg"], ["jeunesse"]),
            "versions[0].thematiques_ctg[0] : enveloppe inconnue « jeunesse »",
        ),
        (
            edit(["ctg", "thematiques"], ["petite_enfance", "jeunesse"]),
            "ctg.thematiques : une Ctg couvre au moins la petite enfance, la jeunesse et la "
            "parentalité ; manque : Parentalité",
        ),
        (
            edit(["ctg", "thematiques"], ["petite_enfance", "jeunesse", "parentalite", "sport"]),
            "ctg.thematiques[3] : thématique inconnue « sport »",
        ),
        (
            edit(["ctg", "thematiques"], ["petite_enfance", "enfance", "jeunesse", "parentalite"]),
            "ctg.thematiques : la Ctg « Ctg Gâtine-Racan 2022-2026 » existe déjà avec d'autres "
            "thématiques",
        ),
        (
            edit(["ctg"], {"debut": "2022-01-01", "fin": "2024-12-31", "thematiques": ALL_THEMES}),
            "la période de la Cof (01/01/2022 – 31/12/2026) sort de celle de la Ctg "
            "(01/01/2022 – 31/12/2024)",
        ),
    ],
)
def test_invalid_documents_are_refused_and_nothing_is_written(world, change, message):
    data = change(copy.deepcopy(demo_data()))
    before = counts()
    with pytest.raises(CofImportError) as error:
        import_cof(data, generate_documents=False)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert counts() == before


def test_the_ctg_must_open_the_envelopes_the_file_names(touraine):
    data = demo_data()
    del data["ctg"]
    before = counts()
    with pytest.raises(CofImportError) as error:
        import_cof(data, generate_documents=False)
    assert str(error.value) == (
        "versions[0].thematiques_ctg : la Ctg « Ctg Gâtine-Racan 2022-2026 » ne couvre pas "
        "l'enveloppe « avs_logement_acces_droits »"
    )
    assert counts() == before


def test_no_parameter_in_force_rolls_back_the_created_ctg_and_collectivite(touraine):
    data = demo_data()
    data["collectivite"] = {"insee": "37123"}
    data["ctg"] = {"debut": "2021-01-01", "fin": "2026-12-31", "thematiques": ALL_THEMES}
    data["debut"] = data["versions"][0]["effet"] = "2021-01-01"
    before = counts()
    with pytest.raises(CofImportError) as error:
        import_cof(data, generate_documents=False)
    assert str(error.value).startswith(
        "versions[0] : le paramètre « forfait_etp » n'a pas de valeur en vigueur au 01/01/2021"
    )
    assert counts() == before


def test_a_failure_on_the_last_avenant_leaves_nothing(world, monkeypatch):
    from coopctg.agreements import importer
    from coopctg.agreements.services import AgreementError

    real = importer.sign_version
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise AgreementError("panne simulée")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "sign_version", failing)
    before = counts()
    with pytest.raises(CofImportError, match=r"^versions\[1\] : panne simulée$"):
        import_cof(demo_data(), generate_documents=False)
    assert counts() == before


# --- The command ------------------------------------------------------------------------------


def test_command_prints_the_numero(world, capsys):
    out = io.StringIO()
    call_command("cof", "importer", str(DEMO_FILE), "--sans-documents", stdout=out)
    assert out.getvalue() == "COF-37-2022-001\n"
    assert FundingAgreement.objects.get().versions.count() == 2


def test_command_reads_stdin(world, monkeypatch):
    raw = DEMO_FILE.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    out = io.StringIO()
    call_command("cof", "importer", "-", "--sans-documents", stdout=out)
    assert out.getvalue().strip() == "COF-37-2022-001"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"debut": ', "n'est pas un JSON valide (ligne 1, colonne 11)"),
        (b"[]", "le document : un objet JSON {…} est attendu"),
        # Security probe (issue 10): these were Python tracebacks (exit 1).
        (b'{"numero": ' + b"9" * 5_000 + b"}", "nombre trop long (5000 caractères, 100 au plus)"),
        (b"[" * 100_000, "cof.json : imbrication trop profonde (64 niveaux au plus)"),
        (
            json.dumps({**demo_data(), "numero": "X", "collectivite": {"siren": "999999999"}}),
            "collectivite.siren : aucun EPCI de SIREN « 999999999 »",
        ),
    ],
)
def test_command_errors_exit_2_with_one_french_line(world, tmp_path, capsys, content, message):
    path = tmp_path / "cof.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = counts()
    with pytest.raises(SystemExit) as exit_info:
        call_command("cof", "importer", str(path), "--sans-documents")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and message in err and err.count("\n") == 1
    assert counts() == before


def test_command_missing_file(world, capsys):
    with pytest.raises(SystemExit):
        call_command("cof", "importer", "/nulle/part.json")
    assert capsys.readouterr().err == "Erreur : fichier introuvable : /nulle/part.json\n"


def test_real_process_broken_json_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "coopctg.cli", "cof", "importer", "-"],
        input=b"{pas du json",
        capture_output=True,
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coopctg.settings",
            "DATABASE_URL": "postgres://personne@127.0.0.1:1/aucune",  # never reached
        },
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode() == (
        "Erreur : l'entrée standard n'est pas un JSON valide (ligne 1, colonne 2)\n"
    )


def test_control_characters_are_cleaned_before_they_are_stored(world):
    """Security probe (issue 10): a Word line break (\\x0b) in a name or a reason reached the
    database, then broke every workbook of the Caf. Cleaned as the forms do."""
    data = demo_data()
    data["numero"] = "COF-37-2022-001\x01"
    version = data["versions"][0]
    version["motif"] = "Cof initiale\x0bsuite"
    version["personnes"][0]["nom"] = "M.\x0bX"
    version["personnes"][0]["fonction"] = "Coordinateur\tPetite Enfance\x7f"
    cof = import_cof(data, generate_documents=False)
    assert cof.numero == "COF-37-2022-001"
    first = cof.versions.order_by("numero").first()
    assert first.motif == "Cof initiale\nsuite"
    person = first.architecture.personnes.order_by("position").first()
    assert (person.nom, person.fonction) == ("M. X", "Coordinateur Petite Enfance")
