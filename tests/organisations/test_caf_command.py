"""``coopctg caf …``: onboarding a Caf is data (code, name, département, référentiel, EPCI),
its parameters fall back to the national defaults, every error is one French line."""

import io
import json

import pytest
from django.core.management import call_command

from coopctg.framework.models import FrameworkVersion
from coopctg.organisations.models import Caf, LocalAuthority
from tests.factories import CommuneFactory, DepartementFactory, EpciFactory


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("caf", *args, stdout=out)
    return out.getvalue()


def refused(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit:
        call_command("caf", *args)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    return err


@pytest.fixture
def loir_et_cher(db):
    dep = DepartementFactory(code="41", nom="Loir-et-Cher")
    blois = EpciFactory(siren="200030435", nom="Agglopolys", nature="CA")
    CommuneFactory(code_insee="41018", nom="Blois", departement=dep, epci=blois)
    vendome = EpciFactory(siren="200072049", nom="Territoires vendômois", nature="CA")
    CommuneFactory(code_insee="41269", nom="Vendôme", departement=dep, epci=vendome)
    FrameworkVersion.objects.create(
        code="touraine-2022", titre="Touraine", date_publication="2022-01-01"
    )
    return dep


def test_add_a_caf_with_its_epci_and_referentiel(loir_et_cher):
    out = run(
        "ajouter",
        "--code",
        "41",
        "--nom",
        "Caf de Loir-et-Cher",
        "--departement",
        "41",
        "--referentiel",
        "touraine-2022",
        "--epci",
    )
    assert "Caf de Loir-et-Cher (41, département 41) ajoutée" in out
    assert "2 collectivité(s) ajoutée(s)" in out
    caf = Caf.objects.get(code="41")
    assert caf.referentiel.code == "touraine-2022"
    assert set(LocalAuthority.objects.filter(caf=caf).values_list("nom", flat=True)) == {
        "Agglopolys",
        "Territoires vendômois",
    }
    again = run(
        "ajouter", "--code", "41", "--nom", "Caf du Loir-et-Cher", "--departement", "41", "--epci"
    )
    assert "mise à jour" in again and "0 collectivité(s)" in again
    assert LocalAuthority.objects.filter(caf=caf).count() == 2
    listing = json.loads(run("liste", "--format", "json"))["cafs"]
    assert listing == [
        {
            "code": "41",
            "nom": "Caf du Loir-et-Cher",
            "departement": "41",
            "referentiel": "touraine-2022",
            "collectivites": 2,
            "parametres_propres": [],
        }
    ]


def test_a_new_caf_uses_the_national_defaults_with_their_source(loir_et_cher):
    run("ajouter", "--code", "41", "--nom", "Caf de Loir-et-Cher", "--departement", "41")
    data = json.loads(run("parametres", "41", "--date", "2024-06-01", "--format", "json"))
    assert {line["origine"] for line in data["parametres"]} == {"défaut national"}
    forfait = next(line for line in data["parametres"] if line["nom"] == "forfait_etp")
    assert forfait["valeur"] == "24000" and "Caf de Touraine" in forfait["reference"]
    touraine = json.loads(run("parametres", "37", "--date", "2024-06-01", "--format", "json"))
    assert {line["origine"] for line in touraine["parametres"]} == {"Caf"}
    families = {line["famille"] for line in data["parametres"]}
    assert families == {
        "financement et éligibilité",
        "gouvernance",
        "bilans et versements",
        "commissions d'admission",
    }


def test_refusals(loir_et_cher, capsys):
    base = ["ajouter", "--nom", "Caf", "--departement"]
    assert "département « 99 » inconnu" in refused(capsys, *base, "99", "--code", "99")
    assert "code de Caf invalide" in refused(capsys, *base, "41", "--code", "4-1")
    assert "version du référentiel inconnue" in refused(
        capsys, *base, "41", "--code", "41", "--referentiel", "x"
    )
    run(*base, "41", "--code", "41")
    assert "le département 41 a déjà sa Caf" in refused(capsys, *base, "41", "--code", "410")
    assert "code de Caf invalide" in refused(capsys, "parametres", "../37")
