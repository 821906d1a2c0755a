import pytest
import yaml

from coopctg.organisations.models import FollowUp, LocalAuthority, StaffMember, StaffRole
from coopctg.organisations.team_import import DEFAULT_TEAM_FILE, TeamImportError, import_team
from tests.factories import CommuneFactory, DepartementFactory, EpciFactory
from tests.organisations.test_matching import COMMUNES, EPCI_37


@pytest.fixture
def indre_et_loire(db):
    dep = DepartementFactory(code="37", nom="Indre-et-Loire")
    for index, (siren, nom) in enumerate(EPCI_37):
        epci = EpciFactory(siren=siren, nom=nom, nature="ME" if "Métropole" in nom else "CC")
        CommuneFactory(
            code_insee=f"379{index:02d}", nom=f"Commune {index}", departement=dep, epci=epci
        )
    tours = EpciFactory._meta.model.objects.get(siren="243700754")
    for code, nom in COMMUNES:
        CommuneFactory(code_insee=code, nom=nom, departement=dep, epci=tours)
    return dep


def write(tmp_path, data):
    path = tmp_path / "equipe.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def seed_data():
    return yaml.safe_load(DEFAULT_TEAM_FILE.read_text(encoding="utf-8"))


def test_seed_team_imports_with_official_collectivites(indre_et_loire):
    report = import_team()
    assert report.caf.nom == "Caf de Touraine"
    assert report.collectivites == 11
    assert StaffMember.objects.count() == 13
    gatine = LocalAuthority.objects.get(epci__siren="200073237")
    assert gatine.libelle_usuel == "CC Gâtine et Choisilles-Pays de Racan"
    assert gatine.nom == "Communauté de communes de Gâtine-Racan"
    st_pierre = LocalAuthority.objects.get(commune__code_insee="37233")
    assert st_pierre.kind == "commune"
    referents = FollowUp.objects.filter(collectivite=st_pierre).values_list(
        "member__nom", flat=True
    )
    assert list(referents) == ["PALMENTY-MALLET"]
    michel = StaffMember.objects.get(nom="MICHEL")
    assert sorted(f.collectivite.epci.siren for f in michel.suivis.all()) == [
        "200043081",
        "200071587",
        "200073237",
    ]
    boudmer = StaffMember.objects.get(nom="BOUDMER")
    assert sorted(boudmer.roles.values_list("role", flat=True)) == ["ctt", "thematique"]
    assert boudmer.roles.get(role="thematique").themes == ["parentalite"]
    lormois = StaffRole.objects.get(member__nom="LORMOIS")
    assert lormois.themes == ["petite_enfance", "enfance", "inclusion_handicap"]


def test_reimport_is_idempotent(indre_et_loire):
    import_team()
    keys = sorted(LocalAuthority.objects.values_list("pk", flat=True))
    members = sorted(StaffMember.objects.values_list("pk", flat=True))
    counts = (FollowUp.objects.count(), StaffRole.objects.count())
    import_team()
    assert sorted(LocalAuthority.objects.values_list("pk", flat=True)) == keys
    assert sorted(StaffMember.objects.values_list("pk", flat=True)) == members
    assert (FollowUp.objects.count(), StaffRole.objects.count()) == counts


def test_reimport_applies_a_change_of_territory(indre_et_loire, tmp_path):
    import_team()
    data = seed_data()
    michel = next(p for p in data["equipe"] if p["nom"] == "MICHEL")
    michel["roles"][0]["collectivites"] = ["CC Loches Sud Touraine"]
    import_team(write(tmp_path, data))
    assert list(
        StaffMember.objects.get(nom="MICHEL").suivis.values_list(
            "collectivite__epci__siren", flat=True
        )
    ) == ["200071587"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["collectivites"].append({"nom": "CC Inconnue des Bois"}),
            "« CC Inconnue des Bois » ne correspond à aucun EPCI",
        ),
        (lambda d: d["collectivites"][0].update(code="200000000"), "pas au code 200000000 indiqué"),
        (
            lambda d: d["equipe"][6]["roles"][0]["collectivites"].append("CC Fantôme"),
            "collectivité « CC Fantôme » absente de la liste",
        ),
        (
            lambda d: d["equipe"][0]["roles"].append({"role": "directrice"}),
            "rôle « directrice » inconnu",
        ),
        (
            lambda d: d["equipe"][9]["roles"][0]["thematiques"].append("sport"),
            "thématique « sport » inconnue",
        ),
        (lambda d: d["caf"].update(departement="99"), "département « 99 » inconnu"),
        (lambda d: d["equipe"].append(dict(d["equipe"][0])), "personne en double"),
    ],
)
def test_bad_file_is_refused_and_nothing_written(indre_et_loire, tmp_path, change, message):
    data = seed_data()
    change(data)
    with pytest.raises(TeamImportError) as error:
        import_team(write(tmp_path, data))
    assert any(message in e for e in error.value.errors), error.value.errors
    assert LocalAuthority.objects.count() == 0
    assert StaffMember.objects.count() == 0


def test_cli_reports_one_french_line_and_exit_2(indre_et_loire, tmp_path, capsys):
    from django.core.management import call_command

    data = seed_data()
    data["collectivites"].append({"nom": "CC Inconnue des Bois"})
    with pytest.raises(SystemExit) as exit_info:
        call_command("equipe", "importer", str(write(tmp_path, data)))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("Erreur : equipe.yaml : collectivites, n°12 :")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 1_000, "imbrication trop profonde (64 niveaux au plus)"),
        ("caf: " + "9" * 5_000, "nombre trop long (plus de 4 300 chiffres)"),
        ("caf: 2024-02-30", "valeur illisible (nombre ou date invalide)"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"n{i}: &n{i} [{', '.join([f'*n{i - 1}' if i > 1 else '*a'] * 10)}]\n"
                for i in range(1, 8)
            ),
            "document trop volumineux (plus de 1\u202f000\u202f000 valeurs)",
        ),
    ],
    ids=["imbrication", "nombre", "date", "alias"],
)
def test_cli_hostile_yaml_exits_2_with_one_french_line(
    indre_et_loire, tmp_path, capsys, text, message
):
    """Security probe (issue 10): these were Python tracebacks (exit 1)."""
    from django.core.management import call_command

    path = tmp_path / "equipe.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("equipe", "importer", str(path))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("Erreur : ") and err.endswith(f"{message}\n")


def test_cli_imports_the_bundled_team(indre_et_loire, capsys):
    from django.core.management import call_command

    call_command("equipe", "importer")
    assert "13 personnes, 11 collectivités" in capsys.readouterr().out


def test_the_shared_parentalite_line_is_shown_for_both_advisors(indre_et_loire, client):
    """Référentiel: « Didier LEGOUZOUQUE / Mickaël BOUDMER — Parentalité — 02.46.67.10.66 »."""
    from django.urls import reverse

    from coopctg.accounts.models import Membership
    from tests.factories import UserFactory

    import_team()
    lines = dict(
        StaffRole.objects.filter(role="thematique", themes=["parentalite"]).values_list(
            "member__nom", "telephones"
        )
    )
    assert lines == {"LEGOUZOUQUE": ["02.46.67.10.66"], "BOUDMER": ["02.46.67.10.66"]}
    assert StaffMember.objects.get(nom="BOUDMER").telephones == ["06.25.25.51.37", "02.46.67.10.59"]

    user = UserFactory()
    Membership.objects.create(
        user=user, role="caf_analyste", caf=LocalAuthority.objects.first().caf
    )
    client.force_login(user)
    html = client.get(reverse("organisations:team", args=["37"])).content.decode()
    thematic = html[html.index("<h2>Conseiller·ère technique thématique</h2>") :]
    for name, other in (("LEGOUZOUQUE", "Mickaël BOUDMER"), ("BOUDMER", "Didier LEGOUZOUQUE")):
        card = thematic[thematic.index(f"{name}</h3>") :].split("</article>")[0]
        assert 'Ligne parentalité : <a href="tel:0246671066">02.46.67.10.66</a>' in card
        assert f"(ligne partagée avec {other})" in card


def test_reimport_keeps_the_follow_ups_decided_in_the_application(indre_et_loire, tmp_path):
    """The file names the collectivités of the chargées de développement social, not those of
    the CTT: a CTT assigned on the « Suivi des collectivités » page stays; a follow-up the file
    no longer names goes, through the service (history, the advisor's access)."""
    from coopctg.accounts.models import Membership
    from coopctg.core.models import AuditEntry
    from coopctg.organisations.services import set_follow_up
    from tests.factories import UserFactory

    import_team()
    baron = StaffMember.objects.get(nom="BARON")
    gatine = LocalAuthority.objects.get(epci__siren="200073237")
    loches = LocalAuthority.objects.get(epci__siren="200071587")
    set_follow_up(None, member=baron, collectivite=gatine, role="ctt", follows=True)
    michel = StaffMember.objects.get(nom="MICHEL")
    michel.user = UserFactory()
    michel.save()
    for la in michel.suivis.values_list("collectivite", flat=True):
        Membership.objects.create(
            user=michel.user, role="caf_conseiller", caf=gatine.caf, collectivite_id=la
        )
    import_team()
    assert FollowUp.objects.filter(member=baron, collectivite=gatine, role="ctt").exists()

    data = seed_data()
    person = next(p for p in data["equipe"] if p["nom"] == "MICHEL")
    person["roles"][0]["collectivites"] = ["CC Loches Sud Touraine"]
    import_team(write(tmp_path, data))
    assert list(michel.suivis.values_list("collectivite", flat=True)) == [loches.pk]
    assert list(
        Membership.objects.filter(user=michel.user).values_list("collectivite", flat=True)
    ) == [loches.pk]
    entry = AuditEntry.objects.filter(
        objet_type="organisations.localauthority", objet_id=str(gatine.pk)
    ).latest("id")
    assert entry.auteur_nom == "système"
    assert "Sylvie MICHEL (chargé·e de développement social)" in entry.avant["suivie_par"]
    assert entry.apres["suivie_par"] == ["Armelle BARON (conseiller·ère technique territorial·e)"]
