"""The follow-up of the demonstration's Gâtine-Racan Ctg (``data/suivi-gatine.yaml``): its plan
d'actions, its instances, its faits marquants and the bilans annuels of its Cof.

Idempotent and fast (``coopctg demo charger`` runs at every ``make run``):

- the plan d'actions is imported once (:func:`coopctg.actionplan.services.import_plan`), when
  the Ctg has no action yet: what is changed afterwards in the application is kept;
- instances are matched by (type, objet): dates counted from today (« dans_jours ») move
  forward at each load, so the demonstration always has upcoming instances;
- faits marquants are matched by their intitulé; bilans by (Cof, année), created once.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone

from coopctg.accounts.models import User
from coopctg.actionplan.models import Action
from coopctg.actionplan.services import ActionRow, IndicatorRow, PlanData, import_plan
from coopctg.agreements.models import FundingAgreement
from coopctg.ctg.models import Ctg
from coopctg.framework.loader import versions_newest_first
from coopctg.framework.models import ExpectedOutput
from coopctg.governance.models import Decision, Highlight, Meeting
from coopctg.governance.rules import MeetingKind
from coopctg.reports.facts import report_facts
from coopctg.reports.models import AnnualReport, AttenduAssessment, ReportEvent
from coopctg.reports.rules import Level, Status

SUIVI_FILE = Path(__file__).resolve().parent / "data" / "suivi-gatine.yaml"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def load_suivi(
    path: Path = SUIVI_FILE,
    today: dt.date | None = None,
    editor: User | None = None,
    caf_admin: User | None = None,
) -> str:
    """Load the follow-up of the demonstration Ctg; returns a one-line French summary."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    today = today or timezone.localdate()
    cof = FundingAgreement.objects.select_related("ctg").filter(numero=data["cof"]).first()
    if cof is None:
        return "Suivi de démonstration : Cof absente, rien n'est chargé."
    ctg = cof.ctg
    if not Action.objects.filter(ctg=ctg).exists():
        import_plan(None, ctg, _plan_data(data["plan"]))
    meetings = _meetings(ctg, data["instances"], today)
    highlights = _highlights(ctg, data["faits_marquants"])
    reports = create_reports(cof, data["bilans"], editor, caf_admin)
    return (
        f"Suivi de démonstration ({ctg.intitule}) : {Action.objects.filter(ctg=ctg).count()} "
        f"fiches actions, {meetings} instances, {highlights} faits marquants, "
        f"{reports} bilans annuels."
    )


# --- Plan d'actions ----------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _plan_data(actions: list[dict[str, Any]]) -> PlanData:
    action_rows, indicator_rows = [], []
    for line, item in enumerate(actions, start=2):
        action_rows.append(
            ActionRow(
                line=line,
                code=item["code"],
                titre=item["titre"],
                description=item.get("description", ""),
                themes=list(item.get("thematiques", [])),
                objectifs=list(item.get("objectifs", [])),
                pilote=item.get("pilote", ""),
                partenaires=item.get("partenaires", ""),
                date_debut=item.get("debut"),
                date_fin=item.get("fin"),
                statut=item["statut"],
                avancement=int(item.get("avancement", 0)),
            )
        )
        for indicator in item.get("indicateurs", []):
            indicator_rows.append(
                IndicatorRow(
                    line=len(indicator_rows) + 2,
                    action=item["code"],
                    libelle=indicator["libelle"],
                    unite=indicator.get("unite", ""),
                    valeur_reference=_decimal(indicator.get("reference")),
                    cible=_decimal(indicator.get("cible")),
                    valeurs={
                        int(year): Decimal(str(value))
                        for year, value in indicator.get("valeurs", {}).items()
                    },
                )
            )
    return PlanData(actions=action_rows, indicators=indicator_rows)


# --- Instances ---------------------------------------------------------------------------------


def _time(text: str | None) -> dt.time | None:
    return dt.time.fromisoformat(text) if text else None


def _wanted_meetings(ctg: Ctg, data: dict[str, Any], today: dt.date) -> list[dict[str, Any]]:
    place = data.get("lieu", "")
    wanted: list[dict[str, Any]] = []
    last_year = min(today.year, ctg.date_fin.year)
    copil = data["copil"]
    for year in range(ctg.date_debut.year, last_year + 1):
        wanted.append(
            {
                "kind": MeetingKind.COPIL,
                "date": dt.date(year, copil["mois"], copil["jour"]),
                "objet": f"Copil annuel {year}",
                "lieu": place,
                "heure": dt.time(18, 0),
                "decisions": copil.get("decisions", {}).get(year, []),
            }
        )
    cotech = data["cotech"]
    skipped = set(cotech.get("sans_cotech", []))
    for year in range(ctg.date_debut.year, last_year + 1):
        for half, when in enumerate(cotech["dates"], start=1):
            date = dt.date(year, when["mois"], when["jour"])
            if f"{year}-S{half}" in skipped or date > ctg.date_fin:
                continue
            if date > today and (year, half) != (today.year, 1 if today.month <= 6 else 2):
                continue  # only up to the current semester
            wanted.append(
                {
                    "kind": MeetingKind.COTECH,
                    "date": date,
                    "objet": f"Cotech du {'1er' if half == 1 else '2e'} semestre {year}",
                    "lieu": place,
                    "heure": dt.time(9, 30),
                }
            )
    for item in data.get("autres", []):
        wanted.append(
            {
                "kind": MeetingKind(item["type"]),
                "date": item["date"],
                "objet": item["objet"],
                "lieu": item.get("lieu", place),
                "heure": _time(item.get("heure")),
            }
        )
    for item in data.get("a_venir", []):
        wanted.append(
            {
                "kind": MeetingKind(item["type"]),
                "date": today + dt.timedelta(days=int(item["dans_jours"])),
                "objet": item["objet"],
                "lieu": item.get("lieu", place),
                "heure": _time(item.get("heure")),
            }
        )
    return wanted


def _meetings(ctg: Ctg, data: dict[str, Any], today: dt.date) -> int:
    existing = {
        (m.kind, m.objet): m for m in Meeting.objects.filter(ctg=ctg).prefetch_related("decisions")
    }
    for item in _wanted_meetings(ctg, data, today):
        meeting = existing.get((item["kind"].value, item["objet"]))
        fields = {"date": item["date"], "lieu": item["lieu"], "heure": item["heure"]}
        if meeting is None:
            meeting = Meeting.objects.create(
                ctg=ctg, kind=item["kind"].value, objet=item["objet"], **fields
            )
            current: list[tuple[str, str]] = []
        else:
            if any(getattr(meeting, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(meeting, name, value)
                meeting.save(update_fields=[*fields, "modifie_le"])
            current = [(d.texte, d.action_ref) for d in meeting.decisions.all()]
        lines = [(d["texte"], d.get("action", "")) for d in item.get("decisions", [])]
        if lines and lines != current:
            meeting.decisions.all().delete()
            Decision.objects.bulk_create(
                Decision(meeting=meeting, position=i, texte=texte, action_ref=ref)
                for i, (texte, ref) in enumerate(lines, start=1)
            )
    return Meeting.objects.filter(ctg=ctg).count()


# --- Faits marquants ---------------------------------------------------------------------------


def _highlights(ctg: Ctg, items: list[dict[str, Any]]) -> int:
    known = set(Highlight.objects.filter(ctg=ctg).values_list("intitule", flat=True))
    Highlight.objects.bulk_create(
        Highlight(
            ctg=ctg,
            kind=item["nature"],
            date=item["date"],
            theme=item["thematique"],
            intitule=item["intitule"],
            description=item["description"],
        )
        for item in items
        if item["intitule"] not in known
    )
    return Highlight.objects.filter(ctg=ctg).count()


# --- Bilans annuels ----------------------------------------------------------------------------


def level_for(code: str, levels: dict[str, str]) -> Level:
    """The level of the most precise prefix of ``code`` (« M1 », « M1.O2 », « M1.O2.A3 »)."""
    parts = code.split(".")
    for size in range(len(parts), 0, -1):
        prefix = ".".join(parts[:size])
        if prefix in levels:
            return Level(levels[prefix])
    return Level.NON_ENGAGE


def _at_ten(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time(10, 0), tzinfo=PARIS)


def create_reports(
    cof: FundingAgreement,
    items: list[dict[str, Any]],
    editor: User | None,
    caf_admin: User | None,
) -> int:
    """The bilans annuels ``items`` of ``cof`` (« annee », « statut », « transmis_le »,
    « valide_le », « synthese », « perspectives », « niveaux », « commentaires »), each created
    once, transmitted by ``editor`` and validated by ``caf_admin``; returns how many the Cof
    has. Also used by the loader for the other territories' bilans."""
    version = versions_newest_first().first()
    if version is None:
        return 0
    known = set(AnnualReport.objects.filter(cof=cof).values_list("annee", flat=True))
    attendus: list[ExpectedOutput] | None = None
    for item in items:
        if item["annee"] in known:
            continue
        if attendus is None:
            attendus = list(ExpectedOutput.objects.filter(objective__mission__version=version))
        status = Status(item["statut"])
        transmitted = _at_ten(item.get("transmis_le"))
        validated = _at_ten(item.get("valide_le"))
        report = AnnualReport.objects.create(
            cof=cof,
            annee=item["annee"],
            referentiel=version,
            statut=status.value,
            synthese=item.get("synthese", ""),
            perspectives=item.get("perspectives", ""),
            faits={},
            premiere_transmission_le=transmitted,
            transmis_le=transmitted,
            transmis_par=editor if transmitted else None,
            valide_le=validated,
            valide_par=caf_admin if validated else None,
        )
        levels, comments = item.get("niveaux", {}), item.get("commentaires", {})
        AttenduAssessment.objects.bulk_create(
            AttenduAssessment(
                bilan=report,
                attendu=attendu,
                niveau=level_for(attendu.code, levels).value,
                commentaire=comments.get(attendu.code, ""),
            )
            for attendu in attendus
        )
        if transmitted is not None:  # frozen as on the day of its transmission
            report.faits = report_facts(cof, report.annee, report=report, today=transmitted.date())
            report.save(update_fields=["faits"])
        steps = [("transmission", editor, transmitted), ("validation", caf_admin, validated)]
        for kind, author, when in steps:
            if when is not None and author is not None:
                event = ReportEvent.objects.create(bilan=report, kind=kind, auteur=author)
                # cree_le is auto_now_add: date the step as the report says.
                ReportEvent.objects.filter(pk=event.pk).update(cree_le=when)
    return AnnualReport.objects.filter(cof=cof).count()
