"""The Touraine demonstration (``data/touraine.yaml``): the 11 Ctg of the Caf's collectivités,
each with its signed Cof, its bilans annuels and its instances, who follows which collectivité
at the Caf, and one account per role.

Everything goes through the application's services, as if it had been entered in its pages:
accounts through invitations (:mod:`coopctg.accounts.invitations`), the CTT's follow-ups
through :func:`coopctg.organisations.services.set_follow_up`, the Ctg through
:func:`coopctg.ctg.services.save_ctg`, the Cof through the importer
(:func:`coopctg.agreements.importer.import_cof`, signed by the Caf's administrator), so that
history rows exist. Every step is idempotent: ``coopctg demo charger`` runs at each
``make run`` and changes nothing the second time.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from coopctg.accounts.models import Membership, User
from coopctg.accounts.roles import Role
from coopctg.core.themes import Theme
from coopctg.ctg.models import Ctg
from coopctg.demo.indicators import load_indicators_demo
from coopctg.organisations.models import Caf, FollowUp, LocalAuthority, StaffMember

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_FILE = DATA_DIR / "touraine.yaml"
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "funding" / "examples"


class DemoDataError(ValueError):
    """The demonstration's data contradict themselves (one French sentence)."""


@dataclass
class DemoAccount:
    username: str
    password: str
    role: Role
    scope: str


@dataclass
class DemoReport:
    ctgs: int = 0
    cofs: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)


def load_demo_file(path: Path = DEMO_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@transaction.atomic
def load_demo(
    path: Path = DEMO_FILE,
    log: Callable[[str], None] = lambda _: None,
    today: dt.date | None = None,
) -> DemoReport:
    data = load_demo_file(path)
    today = today or timezone.localdate()
    caf = Caf.objects.get(code=data["caf"])
    authorities = {la.libelle_usuel or la.nom: la for la in caf.collectivites.all()}
    territories: dict[str, dict[str, Any]] = data["territoires"]
    for name in territories:
        _authority(authorities, name)
    report = DemoReport()

    # The accounts that act first; the advisors' collectivités are those they follow.
    password = data["mot_de_passe"]
    accounts: dict[str, DemoAccount] = {}
    for account in data["comptes"]:
        if account["role"] != Role.CAF_ADVISOR:
            accounts[account["identifiant"]] = _account(caf, authorities, account, password)
    admin = User.objects.get(
        username=next(a["identifiant"] for a in data["comptes"] if a["role"] == Role.CAF_ADMIN)
    )
    _ctt_follow_ups(admin, caf, authorities, data.get("repartition_ctt", {}))
    for account in data["comptes"]:
        if account["role"] == Role.CAF_ADVISOR:
            accounts[account["identifiant"]] = _account(caf, authorities, account, password)
    report.accounts = [accounts[a["identifiant"]] for a in data["comptes"]]
    _other_cafs(data.get("autres_caf", []))

    ctgs = {
        name: _ctg(admin, caf, authority, data["ctg"], territories.get(name, {}), today)
        for name, authority in sorted(authorities.items())
    }
    report.ctgs = len(ctgs)
    example = data.get("architecture_exemple")
    if example:
        _example_architecture(_authority(authorities, example["collectivite"]), example["fichier"])
    for name, territory in territories.items():
        if "cof" in territory:
            report.cofs += _cof(admin, authorities[name], ctgs[name], territory["cof"])
            _signatories(admin, authorities[name], name, data.get("signataires", {}))
    for territory in territories.values():
        if "suivi" in territory:
            _demo_suivi(territory["suivi"], log)
            _demo_diagnostic(log)
            _demo_participation(log)
            _demo_partners(log)
    written = sum(
        _bilans(admin, authorities[name], data["bilans"], territory["bilans"], today)
        for name, territory in territories.items()
        if "bilans" in territory
    )
    held = regular_instances(
        [
            (ctgs[name], _skipped(territory.get("instances", {})))
            for name, territory in territories.items()
            if "suivi" not in territory
        ],
        data["instances_regulieres"],
        today,
    )
    if report.cofs or written or held:
        log(
            f"Démonstration : {report.cofs} Cof signées, {written} bilans annuels et {held} "
            "instances ajoutés aux autres territoires."
        )
    # Diagnostic de territoire (coopctg/demo/indicators.py): sample files of invented values.
    load_indicators_demo(log)
    log(f"Démonstration : {report.ctgs} Ctg, {len(report.accounts)} comptes.")
    return report


def _authority(authorities: dict[str, LocalAuthority], name: str) -> LocalAuthority:
    try:
        return authorities[name]
    except KeyError:
        raise DemoDataError(
            f"Démonstration : « {name} » n'est pas une collectivité de l'équipe importée "
            "(coopctg/organisations/data/caf-37.yaml)."
        ) from None


# --- Ctg ------------------------------------------------------------------------------------------


def _ctg(
    admin: User,
    caf: Caf,
    authority: LocalAuthority,
    defaults: dict[str, Any],
    territory: dict[str, Any],
    today: dt.date,
) -> Ctg:
    """The collectivité's Ctg, created or brought back to the file (history when it changes)."""
    from coopctg.ctg.services import save_ctg

    usual_name = authority.libelle_usuel or authority.nom
    themes = defaults.get("exceptions", {}).get(usual_name, defaults["thematiques"])
    start, end = defaults["debut"], defaults["fin"]
    wanted = {
        "intitule": f"Ctg {authority.nom} {start.year}-{end.year}",
        "date_debut": start,
        "date_fin": end,
        "date_signature": territory.get("ctg_signee_le", start),
        "themes": [t.value for t in Theme if t.value in themes],
        "statut": Ctg.Status.SIGNEE if end >= today else Ctg.Status.ECHUE,
    }
    ctg = Ctg.objects.filter(signataires=authority, date_debut=start).first()
    if ctg is None:
        return save_ctg(admin, Ctg(caf=caf, **wanted), [authority])
    if any(getattr(ctg, name) != value for name, value in wanted.items()):
        for name, value in wanted.items():
            setattr(ctg, name, value)
        save_ctg(admin, ctg, [authority])
    return ctg


# --- Cof ------------------------------------------------------------------------------------------


def _cof(admin: User, authority: LocalAuthority, ctg: Ctg, spec: dict[str, Any]) -> int:
    """The collectivité's signed Cof, imported once (as ``coopctg cof importer`` does, signed
    by the Caf's administrator); returns 1 when it is created. It takes effect on the Ctg's
    first day and is signed after the Ctg."""
    from coopctg.agreements.importer import import_cof
    from coopctg.agreements.models import FundingAgreement

    if "fichier" in spec:
        document = json.loads((DATA_DIR / spec["fichier"]).read_text(encoding="utf-8"))
    else:
        code_field = "siren" if authority.kind == LocalAuthority.Kind.EPCI else "insee"
        initial = {key: spec[key] for key in ("base_cej", "personnes") if key in spec}
        document = {
            "collectivite": {code_field: authority.code},
            "numero": spec["numero"],
            "debut": ctg.date_debut.isoformat(),
            "fin": ctg.date_fin.isoformat(),
            "versions": [
                {"effet": ctg.date_debut.isoformat(), "motif": "Cof initiale", **initial},
                *(
                    {
                        "effet": avenant["effet"].isoformat(),
                        "signature": avenant["signee_le"].isoformat(),
                        **{
                            k: avenant[k]
                            for k in ("motif", "base_cej", "personnes")
                            if k in avenant
                        },
                    }
                    for avenant in spec.get("avenants", [])
                ),
            ],
        }
    # The dates of the demonstration are those of touraine.yaml, in order.
    document["versions"][0]["signature"] = spec["signee_le"].isoformat()
    # The missions of each post, version by version (objectives of the référentiel).
    for version, missions in zip(document["versions"], spec.get("missions", []), strict=False):
        for person in version.get("personnes", []):
            if person.get("id") in missions:
                person["missions"] = list(missions[person["id"]])
    if FundingAgreement.objects.filter(numero=document["numero"]).exists():
        return 0
    signed = [
        dt.date.fromisoformat(str(v.get("signature") or v["effet"])) for v in document["versions"]
    ]
    if ctg.date_signature and signed[0] < ctg.date_signature:
        raise DemoDataError(
            f"Démonstration : la Cof {document['numero']} serait signée le {signed[0]:%d/%m/%Y}, "
            f"avant sa Ctg ({ctg.date_signature:%d/%m/%Y})."
        )
    if document["debut"] != ctg.date_debut.isoformat():
        raise DemoDataError(
            f"Démonstration : la Cof {document['numero']} doit prendre effet au début de sa Ctg "
            f"({ctg.date_debut:%d/%m/%Y})."
        )
    import_cof(document, admin, generate_documents=False)
    return 1


def _signatories(admin: User, authority: LocalAuthority, name: str, spec: dict[str, Any]) -> None:
    """Who signed each version of the collectivité's Cof (names invented, see touraine.yaml),
    recorded through the signature service (history) for the versions that have none yet: the
    Caf signs ``jours_avant`` days before the collectivité, whose day is the version's."""
    from coopctg.agreements.models import AgreementVersion
    from coopctg.agreements.services import SignatoryInput, record_signatories

    caf, local = spec.get("caf"), spec.get("collectivites", {}).get(name)
    if not caf or not local:
        return
    versions = AgreementVersion.objects.filter(
        cof__collectivite=authority, statut=AgreementVersion.Status.SIGNEE, signatures__isnull=True
    ).select_related("cof")
    for version in versions:
        day = version.date_signature
        if day is None:  # pragma: no cover - a signed version always has its date
            continue
        record_signatories(
            admin,
            version,
            [
                SignatoryInput(
                    "caf",
                    caf["nom"],
                    caf["fonction"],
                    day - dt.timedelta(days=int(caf.get("jours_avant", 0))),
                ),
                SignatoryInput("collectivite", local["nom"], local["fonction"], day),
            ],
            today=max(day, timezone.localdate()),
            generate_document=False,
        )


def _example_architecture(collectivite: LocalAuthority, filename: str) -> None:
    """The référentiel's worked example as the collectivité's architecture (created once)."""
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


# --- Who follows what -----------------------------------------------------------------------------


def _member(caf: Caf, full_name: str) -> StaffMember:
    first_name, last_name = full_name.split(" ", 1)
    member = StaffMember.objects.filter(caf=caf, prenom=first_name, nom=last_name).first()
    if member is None:
        raise DemoDataError(f"Démonstration : « {full_name} » n'est pas dans l'équipe de la Caf.")
    return member


def _ctt_follow_ups(
    admin: User,
    caf: Caf,
    authorities: dict[str, LocalAuthority],
    distribution: dict[str, list[str]],
) -> None:
    """The demonstration's distribution of the CTT, set once through the service of the page
    « Suivi des collectivités », by the Caf's administrator: a collectivité that already has a
    CTT keeps it (what was changed on the page stays)."""
    from coopctg.organisations.services import set_follow_up

    covered = set(
        FollowUp.objects.filter(collectivite__caf=caf, role=StaffMember.Role.CTT).values_list(
            "collectivite_id", flat=True
        )
    )
    for full_name, names in distribution.items():
        member = _member(caf, full_name)
        for name in names:
            collectivite = _authority(authorities, name)
            if collectivite.pk in covered:
                continue
            set_follow_up(
                admin,
                member=member,
                collectivite=collectivite,
                role=StaffMember.Role.CTT,
                follows=True,
            )
            covered.add(collectivite.pk)


# --- Follow-up of the Ctg: bilans, instances ------------------------------------------------------


def _demo_suivi(filename: str, log: Callable[[str], None]) -> None:
    """The Gâtine-Racan Ctg's plan d'actions, instances, faits marquants and bilans."""
    from coopctg.demo.suivi import load_suivi

    users = {
        u.username: u for u in User.objects.filter(username__in=["editeur.gatine", "admin.caf"])
    }
    log(
        load_suivi(
            DATA_DIR / filename,
            editor=users.get("editeur.gatine"),
            caf_admin=users.get("admin.caf"),
        )
    )


def _bilans(
    admin: User,
    authority: LocalAuthority,
    common: dict[str, Any],
    spec: dict[str, Any],
    today: dt.date,
) -> int:
    """The bilans annuels of the collectivité's Cof, year by year as the file says (each
    created once); returns how many were created. A date still to come is not invented: a bilan
    is transmitted, or validated, only when that day has passed."""
    from coopctg.agreements.models import FundingAgreement
    from coopctg.demo.suivi import create_reports
    from coopctg.reports.models import AnnualReport

    cof = FundingAgreement.objects.filter(collectivite=authority).order_by("date_debut").first()
    if cof is None:
        return 0
    known = set(AnnualReport.objects.filter(cof=cof).values_list("annee", flat=True))
    month, day = (int(part) for part in spec["transmis_le"].split("-"))
    delay = dt.timedelta(days=int(common["validation_apres_jours"]))
    items = []
    for year, status in spec["annees"].items():
        if year in known:
            continue
        sent = dt.date(year + 1, month, day) if status in ("transmis", "valide") else None
        validated = sent + delay if sent is not None and status == "valide" else None
        if validated is not None and validated > today:
            status, validated = "transmis", None
        if sent is not None and sent > today:
            status, sent = "brouillon", None
        items.append(
            {
                "annee": year,
                "statut": status,
                "transmis_le": sent,
                "valide_le": validated,
                "synthese": spec.get("synthese", ""),
                "perspectives": spec.get("perspectives", ""),
                "niveaux": common["niveaux"].get(year, {}),
            }
        )
    if not items:
        return 0
    editor = (
        User.objects.filter(
            memberships__role=Role.COLLECTIVITE_EDITOR.value, memberships__collectivite=authority
        )
        .order_by("pk")
        .first()
    )
    create_reports(cof, items, editor, admin)
    return len(items)


def _skipped(spec: dict[str, Any]) -> set[str]:
    """The instances a territory did not hold: « copil-2025 », « cotech-2025-S2 »."""
    return {f"copil-{key}" for key in spec.get("sans_copil", [])} | {
        f"cotech-{key}" for key in spec.get("sans_cotech", [])
    }


def regular_instances(
    ctgs: list[tuple[Ctg, set[str]]], schedule: dict[str, Any], today: dt.date
) -> int:
    """A Copil and the Cotech of ``schedule`` each year, from the start of each Ctg up to
    ``today``, but those skipped (« copil-2025 », « cotech-2025-S2 »); idempotent: one per
    Ctg, type and date. Returns how many were created."""
    from coopctg.governance.models import Meeting

    dates = [("copil", schedule["copil"]), *(("cotech", when) for when in schedule["cotech"])]
    created = 0
    for ctg, skipped in ctgs:
        existing = set(Meeting.objects.filter(ctg=ctg).values_list("kind", "date"))
        for year in range(ctg.date_debut.year, min(ctg.date_fin, today).year + 1):
            for kind, when in dates:
                date = dt.date(year, when["mois"], when["jour"])
                key = (
                    f"copil-{year}"
                    if kind == "copil"
                    else f"cotech-{year}-S{1 if date.month <= 6 else 2}"
                )
                if key in skipped or not ctg.date_debut <= date <= min(ctg.date_fin, today):
                    continue
                if (kind, date) in existing:
                    continue
                label = "Copil annuel" if kind == "copil" else "Cotech semestriel"
                Meeting.objects.create(ctg=ctg, kind=kind, date=date, objet=f"{label} {year}")
                created += 1
    return created


# --- Mission 2 of Gâtine-Racan ------------------------------------------------------------------


def _demo_diagnostic(log: Callable[[str], None]) -> None:
    """Mission 2 of the Gâtine-Racan Ctg (``data/diagnostic-gatine.yaml``): after its follow-up,
    whose Copil and plan d'actions it links to."""
    from coopctg.demo.diagnostic import load_diagnostic

    log(load_diagnostic(editor=User.objects.filter(username="editeur.gatine").first()))


# --- Mission 4 of Gâtine-Racan ------------------------------------------------------------------


def _demo_participation(log: Callable[[str], None]) -> None:
    """Mission 4 of the Gâtine-Racan Ctg (``data/participation-gatine.yaml``): consultations
    and questionnaires, supports, veille et alertes, public page; after its follow-up."""
    from coopctg.demo.participation import load_participation

    log(load_participation(editor=User.objects.filter(username="editeur.gatine").first()))


def _demo_partners(log: Callable[[str], None]) -> None:
    """Partners and networks of the Gâtine-Racan Ctg (``data/partenaires-gatine.yaml``)."""
    from coopctg.demo.partners import load_partners

    log(load_partners())


# --- Accounts -------------------------------------------------------------------------------------


def _national_account(data: dict[str, Any], password: str) -> DemoAccount:
    """The Cnaf's national analyst: a role on no Caf, granted as the command line does
    (``coopctg comptes national``), not by an invitation."""
    from coopctg.accounts.invitations import set_national_analyst

    user, _ = User.objects.get_or_create(
        username=data["identifiant"],
        defaults={"email": f"{data['identifiant']}@demo.coopctg.invalid"},
    )
    user.first_name, user.last_name, user.is_active = data["prenom"], data["nom"], True
    user.set_password(password)  # public demo password: not held to the validators
    user.save()
    set_national_analyst(None, user, granted=True)
    return DemoAccount(data["identifiant"], password, Role.NATIONAL_ANALYST, "toutes les Caf")


def _other_cafs(items: list[dict[str, Any]]) -> None:
    """Other Caf of the demonstration (``autres_caf``), added as ``coopctg caf ajouter`` does:
    with the EPCI of their département, and the national parameters."""
    from coopctg.organisations.onboarding import add_caf

    for item in items:
        add_caf(
            str(item["code"]), item["nom"], str(item["departement"]), epci=bool(item.get("epci"))
        )


def _account(
    caf: Caf, authorities: dict[str, LocalAuthority], data: dict[str, Any], password: str
) -> DemoAccount:
    """One demo account, through the accounts service as a real one (an invitation, accepted;
    no e-mail sent): created once, then its name, password (from the YAML), roles and the
    « administrateur » right kept as the YAML says; the address defaults to
    ``IDENTIFIANT@demo.coopctg.invalid``."""
    from coopctg.accounts import invitations

    role = Role(data["role"])
    if role == Role.NATIONAL_ANALYST:
        return _national_account(data, password)
    member = None
    if "membre_equipe" in data:
        member = _member(caf, data["membre_equipe"])
        first_name, last_name = member.prenom, member.nom.title()
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
        collectivite = _authority(authorities, data["collectivite"])
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
        gone = Membership.objects.filter(user=user, role=role.value).exclude(
            collectivite__in=[la for _, la in scopes]
        )
        for membership in gone.select_related("caf", "collectivite", "user"):
            invitations.withdraw_role(None, membership)
    user.first_name, user.last_name = first_name, last_name
    user.email = user.email or courriel
    user.set_password(password)  # public demo password: not held to the validators
    user.save()
    if member is not None and member.user_id != user.pk:
        member.user = user
        member.save(update_fields=["user"])
    return DemoAccount(data["identifiant"], password, role, scope)
