"""Import a Caf, the collectivités it names and its territorial team from a YAML file.

The file format is documented in ``data/caf-37.yaml``. Everything is validated before anything
is written; the import runs in one transaction and is idempotent (re-running updates in place).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from coopctg.core.parsing import DocumentError, load_yaml
from coopctg.core.themes import Theme
from coopctg.organisations.matching import Candidate, MatchError, match_name
from coopctg.organisations.models import Caf, LocalAuthority, StaffMember, StaffRole
from coopctg.organisations.services import set_follow_up
from coopctg.territories.models import Commune, Departement, Epci

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_TEAM_FILE = DATA_DIR / "caf-37.yaml"
ROLES = {choice.value for choice in StaffMember.Role}
THEMES = {theme.value for theme in Theme}


class TeamImportError(Exception):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(errors[0] if errors else "fichier invalide")


@dataclass
class TeamImportReport:
    caf: Caf
    collectivites: int = 0
    membres: int = 0
    suivis: int = 0
    rapprochements: list[tuple[str, str, str]] = field(default_factory=list)  # nom, code, officiel


def read_team_file(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except DocumentError as error:  # too deep, a number too long…
        raise TeamImportError([f"{path} : {error}"]) from None
    except FileNotFoundError as error:
        raise TeamImportError([f"{path} : fichier introuvable"]) from error
    except (OSError, UnicodeDecodeError) as error:
        raise TeamImportError([f"{path} : fichier illisible ({error})"]) from error
    except yaml.YAMLError as error:
        raise TeamImportError([f"{path} : YAML invalide ({error})".replace("\n", " ")]) from error
    if not isinstance(data, dict):
        raise TeamImportError(
            [f"{path} : le fichier doit décrire un objet (caf, collectivites, equipe)"]
        )
    return data


def import_team(path: Path = DEFAULT_TEAM_FILE) -> TeamImportReport:
    data = read_team_file(path)
    plan = _validate(data)
    with transaction.atomic():
        return _write(plan)


@dataclass
class _Plan:
    caf: dict[str, Any]
    departement: Departement
    collectivites: dict[str, Candidate]  # usual name → official
    equipe: list[dict[str, Any]]


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _validate(data: dict[str, Any]) -> _Plan:
    errors: list[str] = []
    caf = data.get("caf")
    departement = None
    if not isinstance(caf, dict) or not all(
        _text(caf.get(k)) for k in ("code", "nom", "departement")
    ):
        errors.append("caf : les champs code, nom et departement sont obligatoires")
        caf = {}
    else:
        departement = Departement.objects.filter(code=caf["departement"]).first()
        if departement is None:
            errors.append(
                f"caf : département « {caf['departement']} » inconnu "
                "(importez d'abord les territoires : coopctg territoires importer)"
            )
    candidates = _candidates(departement) if departement else []
    matched: dict[str, Candidate] = {}
    rows = data.get("collectivites")
    if not isinstance(rows, list):
        errors.append("collectivites : une liste est attendue")
        rows = []
    for index, row in enumerate(rows, start=1):
        name = _text(row.get("nom")) if isinstance(row, dict) else None
        if name is None:
            errors.append(f"collectivites, n°{index} : le nom est obligatoire")
            continue
        if not candidates:
            continue
        try:
            found = match_name(name, candidates)
        except MatchError as error:
            errors.append(f"collectivites, n°{index} : {error}")
            continue
        expected = row.get("code")
        if expected is not None and str(expected) != found.code:
            errors.append(
                f"collectivites, n°{index} : « {name} » correspond à {found.nom} ({found.code}), "
                f"pas au code {expected} indiqué"
            )
            continue
        matched[name] = found
    team = data.get("equipe")
    if not isinstance(team, list):
        errors.append("equipe : une liste est attendue")
        team = []
    listed_names = {_text(r.get("nom")) for r in rows if isinstance(r, dict)}
    seen: set[tuple[str, str]] = set()
    for index, person in enumerate(team, start=1):
        where = f"equipe, n°{index}"
        if not isinstance(person, dict) or not (
            _text(person.get("prenom")) and _text(person.get("nom"))
        ):
            errors.append(f"{where} : prénom et nom sont obligatoires")
            continue
        where = f"{where} ({person['prenom']} {person['nom']})"
        key = (person["prenom"].strip(), person["nom"].strip())
        if key in seen:
            errors.append(f"{where} : personne en double")
        seen.add(key)
        phones = person.get("telephones", [])
        if not _phones(phones):
            errors.append(f"{where} : telephones doit être une liste de numéros")
        roles = person.get("roles")
        if not isinstance(roles, list) or not roles:
            errors.append(f"{where} : au moins un rôle est attendu")
            continue
        for role in roles:
            code = role.get("role") if isinstance(role, dict) else None
            if code not in ROLES:
                errors.append(
                    f"{where} : rôle « {code} » inconnu (attendu : {', '.join(sorted(ROLES))})"
                )
                continue
            if not _phones(role.get("telephones", [])):
                errors.append(
                    f"{where} : telephones du rôle « {code} » doit être une liste de numéros"
                )
            for theme in role.get("thematiques", []) or []:
                if theme not in THEMES:
                    errors.append(f"{where} : thématique « {theme} » inconnue")
            for name in role.get("collectivites", []) or []:
                if name not in listed_names:
                    errors.append(
                        f"{where} : collectivité « {name} » absente de la liste des collectivités"
                    )
    if errors:
        raise TeamImportError(errors)
    assert departement is not None
    return _Plan(caf=caf, departement=departement, collectivites=matched, equipe=team)


def _phones(value: object) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(p, str) for p in value))


def _candidates(departement: Departement) -> list[Candidate]:
    epcis = Epci.objects.filter(communes__departement=departement).distinct()
    communes = Commune.objects.filter(departement=departement)
    return [Candidate("epci", e.siren, e.nom) for e in epcis] + [
        Candidate("commune", c.code_insee, c.nom) for c in communes
    ]


def _write(plan: _Plan) -> TeamImportReport:
    caf, _ = Caf.objects.update_or_create(
        code=str(plan.caf["code"]),
        defaults={
            "nom": plan.caf["nom"],
            "departement": plan.departement,
            "adresse": plan.caf.get("adresse", "") or "",
            "site_web": plan.caf.get("site_web", "") or "",
        },
    )
    report = TeamImportReport(caf=caf)
    authorities: dict[str, LocalAuthority] = {}
    for usual_name, official in plan.collectivites.items():
        if official.kind == "epci":
            epci = Epci.objects.get(siren=official.code)
            authority, _ = LocalAuthority.objects.update_or_create(
                epci=epci,
                defaults={
                    "caf": caf,
                    "kind": LocalAuthority.Kind.EPCI,
                    "nom": epci.nom,
                    "libelle_usuel": usual_name,
                },
            )
        else:
            commune = Commune.objects.get(code_insee=official.code)
            authority, _ = LocalAuthority.objects.update_or_create(
                commune=commune,
                defaults={
                    "caf": caf,
                    "kind": LocalAuthority.Kind.COMMUNE,
                    "nom": f"Commune de {commune.nom}",
                    "libelle_usuel": usual_name,
                },
            )
        authorities[usual_name] = authority
        report.rapprochements.append((usual_name, official.code, official.nom))
    report.collectivites = len(authorities)
    by_id = {authority.pk: authority for authority in authorities.values()}
    for person in plan.equipe:
        member, _ = StaffMember.objects.update_or_create(
            caf=caf,
            prenom=person["prenom"].strip(),
            nom=person["nom"].strip(),
            defaults={
                "intitule": person.get("intitule", "") or "",
                "telephones": person.get("telephones", []) or [],
            },
        )
        report.membres += 1
        role_codes = []
        declared: dict[str, set[int]] = {}  # role → collectivités, when the file names them
        for role in person["roles"]:
            role_codes.append(role["role"])
            StaffRole.objects.update_or_create(
                member=member,
                role=role["role"],
                defaults={
                    "themes": list(role.get("thematiques", []) or []),
                    "telephones": list(role.get("telephones", []) or []),
                },
            )
            if "collectivites" in role:
                names = role.get("collectivites") or []
                declared[role["role"]] = {authorities[name].pk for name in names}
        member.roles.exclude(role__in=role_codes).delete()
        # The file decides the follow-ups it names (and those of a role the person no longer
        # holds); the others (CTT, thematic advisors…) are decided in the application, on the
        # « Suivi des collectivités » page, and kept.
        for follow_up in member.suivis.select_related("collectivite"):
            wanted = declared.get(follow_up.role)
            if follow_up.role not in role_codes or (
                wanted is not None and follow_up.collectivite_id not in wanted
            ):
                set_follow_up(
                    None,
                    member=member,
                    collectivite=follow_up.collectivite,
                    role=follow_up.role,
                    follows=False,
                )
        for role_code, ids in declared.items():
            for collectivite_id in sorted(ids):
                set_follow_up(
                    None,
                    member=member,
                    collectivite=by_id[collectivite_id],
                    role=role_code,
                    follows=True,
                )
        report.suivis += sum(len(ids) for ids in declared.values())
    return report
