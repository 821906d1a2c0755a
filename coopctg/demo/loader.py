"""The Touraine demonstration: reference data, the Caf's team, Ctg and one account per role.

Every step is idempotent: ``coopctg demo charger`` may run at each ``make run``.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from coopctg.accounts.models import User
from coopctg.accounts.roles import Role
from coopctg.core.themes import Theme
from coopctg.ctg.models import Ctg
from coopctg.organisations.models import Caf, LocalAuthority, StaffMember

DEMO_FILE = Path(__file__).resolve().parent / "data" / "touraine.yaml"
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "funding" / "examples"


@dataclass
class DemoAccount:
    username: str
    password: str
    role: Role
    scope: str


@dataclass
class DemoReport:
    ctgs: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)


def load_demo_file(path: Path = DEMO_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@transaction.atomic
def load_demo(path: Path = DEMO_FILE, log: Callable[[str], None] = lambda _: None) -> DemoReport:
    data = load_demo_file(path)
    caf = Caf.objects.get(code=data["caf"])
    authorities = {la.libelle_usuel or la.nom: la for la in caf.collectivites.all()}
    report = DemoReport()
    ctg_data = data["ctg"]
    for usual_name, authority in sorted(authorities.items()):
        themes = ctg_data.get("exceptions", {}).get(usual_name, ctg_data["thematiques"])
        start, end = ctg_data["debut"], ctg_data["fin"]
        ctg = Ctg.objects.filter(signataires=authority, date_debut=start).first() or Ctg(caf=caf)
        ctg.intitule = f"Ctg {authority.nom} {start.year}-{end.year}"
        ctg.date_debut, ctg.date_fin = start, end
        ctg.date_signature = ctg_data["signature"]
        ctg.themes = [t.value for t in Theme if t.value in themes]
        ctg.statut = Ctg.Status.SIGNEE if end >= dt.date.today() else Ctg.Status.ECHUE
        ctg.save()
        ctg.signataires.set([authority])
        report.ctgs += 1
    example = data.get("architecture_exemple")
    if example:
        _example_architecture(caf, authorities[example["collectivite"]], example["fichier"])
    _demo_cof(data.get("cof"))
    password = data["mot_de_passe"]
    for account in data["comptes"]:
        report.accounts.append(_account(caf, authorities, account, password))
    _demo_suivi(data.get("suivi"), log)
    _demo_diagnostic(log)
    held = _regular_instances(
        [authorities[name] for name in data.get("instances_regulieres", [])], dt.date.today()
    )
    if held:
        log(f"Démonstration : {held} instances régulières ajoutées à d'autres Ctg.")
    log(f"Démonstration : {report.ctgs} Ctg, {len(report.accounts)} comptes.")
    return report


#: (month, day) of the regular instances of the demo's other Ctg.
REGULAR_INSTANCES = (("copil", 6, 20), ("cotech", 3, 15), ("cotech", 10, 15))


def _regular_instances(collectivites: list[LocalAuthority], today: dt.date) -> int:
    """A Copil each June and a Cotech each March and October, from the start of each Ctg of
    ``collectivites`` up to ``today`` (idempotent: one per Ctg, type and date)."""
    from coopctg.governance.models import Meeting

    created = 0
    for ctg in Ctg.objects.filter(signataires__in=collectivites).distinct():
        existing = set(Meeting.objects.filter(ctg=ctg).values_list("kind", "date"))
        for year in range(ctg.date_debut.year, min(ctg.date_fin, today).year + 1):
            for kind, month, day in REGULAR_INSTANCES:
                date = dt.date(year, month, day)
                if not ctg.date_debut <= date <= min(ctg.date_fin, today):
                    continue
                if (kind, date) in existing:
                    continue
                label = "Copil annuel" if kind == "copil" else "Cotech semestriel"
                Meeting.objects.create(ctg=ctg, kind=kind, date=date, objet=f"{label} {year}")
                created += 1
    return created


def _example_architecture(caf: Caf, collectivite: LocalAuthority, filename: str) -> None:
    """The référentiel's worked example as the collectivité's architecture (created once)."""
    import json

    from coopctg.funding.models import FundingArchitecture
    from coopctg.funding.rules import parse_simulation_input
    from coopctg.funding.services import PersonRow, save_architecture

    ctg = Ctg.objects.filter(signataires=collectivite).order_by("date_debut").first()
    if (
        ctg is None
        or FundingArchitecture.objects.filter(ctg=ctg, collectivite=collectivite).exists()
    ):
        return
    path = EXAMPLES_DIR / filename
    parsed = parse_simulation_input(json.loads(path.read_text(encoding="utf-8")))
    rows = [
        PersonRow(
            nom=p.name or p.id,
            fonction=p.function or "",
            employeur=collectivite.nom,
            type_poste=p.post_type.value,
            etp={a.envelope.value: a.etp for a in p.assignments},
        )
        for p in parsed.persons
    ]
    architecture = FundingArchitecture(
        ctg=ctg,
        collectivite=collectivite,
        date_effet=parsed.date,
        base_cej_montant=parsed.cej_base.amount if parsed.cej_base else None,
        base_cej_etp=parsed.cej_base.etp if parsed.cej_base else None,
    )
    save_architecture(None, architecture, rows)


def _demo_cof(filename: str | None) -> None:
    """A signed Cof with its avenant (imported once: re-running changes nothing)."""
    import json

    from coopctg.agreements.importer import import_cof
    from coopctg.agreements.models import FundingAgreement

    if not filename:
        return
    data = json.loads((Path(__file__).resolve().parent / "data" / filename).read_text("utf-8"))
    if not FundingAgreement.objects.filter(numero=data.get("numero")).exists():
        import_cof(data, generate_documents=False)


def _demo_suivi(filename: str | None, log: Callable[[str], None]) -> None:
    """The Gâtine-Racan Ctg's plan d'actions, instances, faits marquants and bilans."""
    from coopctg.demo.suivi import load_suivi

    if not filename:
        return
    users = {
        u.username: u for u in User.objects.filter(username__in=["editeur.gatine", "admin.caf"])
    }
    log(
        load_suivi(
            Path(__file__).resolve().parent / "data" / filename,
            editor=users.get("editeur.gatine"),
            caf_admin=users.get("admin.caf"),
        )
    )


def _demo_diagnostic(log: Callable[[str], None]) -> None:
    """Mission 2 of the Gâtine-Racan Ctg (``data/diagnostic-gatine.yaml``): after its follow-up,
    whose Copil and plan d'actions it links to."""
    from coopctg.demo.diagnostic import load_diagnostic

    log(load_diagnostic(editor=User.objects.filter(username="editeur.gatine").first()))


def _account(
    caf: Caf, authorities: dict[str, LocalAuthority], data: dict[str, Any], password: str
) -> DemoAccount:
    """One demo account, through the accounts service as a real one (an invitation, accepted;
    no e-mail sent): created once, then its name, password (from the YAML), roles and the
    « administrateur » right kept as the YAML says; the address defaults to
    ``IDENTIFIANT@demo.coopctg.invalid``."""
    from coopctg.accounts import invitations

    role = Role(data["role"])
    member = None
    if "membre_equipe" in data:
        first_name, last_name = data["membre_equipe"].split(" ", 1)
        member = StaffMember.objects.get(caf=caf, prenom=first_name, nom=last_name)
        last_name = last_name.title()
    else:
        first_name, last_name = data["prenom"], data["nom"]
    courriel = data.get("courriel") or f"{data['identifiant']}@demo.coopctg.invalid"
    administrateur = bool(data.get("administrateur", False))
    if role == Role.CAF_ADVISOR:
        assert member is not None, "un conseiller Caf de démonstration est un membre de l'équipe"
        targets = sorted(
            {f.collectivite for f in member.suivis.select_related("collectivite")},
            key=lambda la: la.nom,
        )
        scopes: list[tuple[Caf | None, LocalAuthority | None]] = [(caf, la) for la in targets]
        scope = ", ".join(la.nom for la in targets)
    elif role in (Role.COLLECTIVITE_EDITOR, Role.COLLECTIVITE_ELU):
        collectivite = authorities[data["collectivite"]]
        scopes = [(None, collectivite)]
        scope = collectivite.nom
    else:
        scopes = [(caf, None)]
        scope = caf.nom
    user = User.objects.filter(username=data["identifiant"]).first()
    if user is not None and not user.is_active:  # back to the state of the YAML
        user.is_active = True
        user.save(update_fields=["is_active"])
    for target_caf, target in scopes:
        held = user is not None and user.memberships.filter(
            role=role.value, caf=target_caf, collectivite=target
        )
        if held and held.exists():
            held.filter(administrateur=not administrateur).update(administrateur=administrateur)
            continue
        invitation, _ = invitations.create_invitation(
            None,
            courriel=courriel,
            role=role,
            caf=target_caf,
            collectivite=target,
            administrateur=administrateur,
            send=False,
        )
        user = invitations.accept_invitation(
            invitation,
            user=user,
            username=data["identifiant"],
            first_name=first_name,
            last_name=last_name,
        )
    assert user is not None
    if role == Role.CAF_ADVISOR:
        for gone in user.memberships.filter(role=role.value).exclude(
            collectivite__in=[la for _, la in scopes]
        ):
            invitations.withdraw_role(None, gone)
    user.first_name, user.last_name = first_name, last_name
    user.email = user.email or courriel
    user.set_password(password)  # public demo password: not held to the validators
    user.save()
    if member is not None:
        member.user = user
        member.save(update_fields=["user"])
    return DemoAccount(data["identifiant"], password, role, scope)
