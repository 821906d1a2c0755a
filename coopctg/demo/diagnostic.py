"""Mission 2 of the demonstration's Gâtine-Racan Ctg (``data/diagnostic-gatine.yaml``): the
diagnostic partagé (versions validated in Copil, their enjeux linked to the plan d'actions),
the register of besoins, the commissions d'admission and their follow-ups, the objectifs de
développement.

Runs after the follow-up of ``suivi-gatine.yaml`` (it needs the plan's actions and the Copil),
through the same services as the pages (history rows included). Idempotent and fast: a
version is matched by its number, a besoin by its date and text, a commission by its date and
title, a follow-up by its commission and criterion, a target by its kind and date — what
exists is kept as the application left it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from coopctg.accounts.models import User
from coopctg.actionplan.models import Action
from coopctg.agreements.models import FundingAgreement
from coopctg.ctg.models import Ctg
from coopctg.diagnostic import commissions, needs, services, targets
from coopctg.diagnostic.models import (
    Commission,
    CommissionFollowUp,
    DevelopmentTarget,
    Diagnostic,
    Enjeu,
    Need,
)
from coopctg.framework.models import Objective
from coopctg.governance.models import Meeting
from coopctg.territories.models import Commune

DIAGNOSTIC_FILE = Path(__file__).resolve().parent / "data" / "diagnostic-gatine.yaml"


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def load_diagnostic(
    path: Path = DIAGNOSTIC_FILE, editor: User | None = None, today: dt.date | None = None
) -> str:
    """Load mission 2 of the demonstration Ctg; returns a one-line French summary."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cof = FundingAgreement.objects.select_related("ctg__caf").filter(numero=data["cof"]).first()
    if cof is None:
        return "Diagnostic de démonstration : Cof absente, rien n'est chargé."
    ctg = cof.ctg
    versions = _versions(ctg, data.get("diagnostic", []), editor, today)
    besoins = _needs(ctg, data.get("besoins", []), editor)
    held = _commissions(ctg, data.get("commissions", []), editor)
    objectifs = _targets(ctg, cof.collectivite, data.get("objectifs", []), editor)
    return (
        f"Diagnostic de démonstration ({ctg.intitule}) : {versions} versions du diagnostic, "
        f"{besoins} besoins, {held} commissions d'admission, {objectifs} objectifs de "
        "développement."
    )


def _copil(ctg: Ctg, day: Any) -> Meeting:
    return Meeting.objects.get(ctg=ctg, kind="copil", date=_date(day))


def _versions(ctg: Ctg, items: list[dict[str, Any]], editor: Any, today: Any) -> int:
    actions = {a.code: a for a in Action.objects.filter(ctg=ctg)}
    objectives = {o.code: o for o in Objective.objects.all()}
    for item in items:
        if Diagnostic.objects.filter(ctg=ctg, version=item["version"]).exists():
            continue
        diagnostic = Diagnostic(
            ctg=ctg,
            date=_date(item["date"]),
            titre=item["titre"],
            contexte=item.get("contexte", ""),
            partenaires=item.get("partenaires", ""),
            habitants=item.get("habitants", ""),
            methode=item.get("methode", ""),
        )
        instances = Meeting.objects.filter(
            ctg=ctg, date__in=[_date(d) for d in item.get("instances", [])]
        )
        services.create_version(editor, diagnostic, instances)
        diagnostic.enjeux.all().delete()  # the copy of the previous version: the file says all
        for entry in item.get("enjeux", []):
            enjeu = Enjeu(
                diagnostic=diagnostic,
                theme=entry["thematique"],
                intitule=entry["intitule"],
                constat=entry.get("constat", ""),
                indicateurs=list(entry.get("indicateurs", [])),
            )
            services.save_enjeu(
                editor,
                enjeu,
                [actions[code] for code in entry.get("actions", []) if code in actions],
                [objectives[code] for code in entry.get("objectifs", []) if code in objectives],
            )
        if item.get("copil"):
            services.validate_version(editor, diagnostic, _copil(ctg, item["copil"]), today)
    return Diagnostic.objects.filter(ctg=ctg).count()


def _needs(ctg: Ctg, items: list[dict[str, Any]], editor: Any) -> int:
    communes = {c.code_insee: c for c in services.ctg_communes(ctg).only("id", "code_insee", "nom")}
    for item in items:
        day = _date(item["date"])
        if Need.objects.filter(ctg=ctg, date=day, description=item["demande"]).exists():
            continue
        needs.save_need(
            editor,
            Need(
                ctg=ctg,
                date=day,
                commune=communes.get(item["commune"]) if item.get("commune") else None,
                theme=item["thematique"],
                tranche_age=str(item["age"]),
                nature=item["nature"],
                source=item["source"],
                description=item["demande"],
                repondu=bool(item.get("repondu")),
                reponse=item.get("reponse", ""),
            ),
        )
    return Need.objects.filter(ctg=ctg).count()


COUNTS = (
    "places",
    "demandes",
    "admissions",
    "qf_bas",
    "monoparentales",
    "handicap",
    "qpv",
    "insertion",
)


def _commissions(ctg: Ctg, items: list[dict[str, Any]], editor: Any) -> int:
    for item in items:
        day = _date(item["date"])
        commission = Commission.objects.filter(ctg=ctg, date=day, intitule=item["intitule"]).first()
        if commission is None:
            commune = (
                Commune.objects.defer("geometrie").get(code_insee=item["commune"])
                if item.get("commune")
                else None
            )
            commission = commissions.save_commission(
                editor,
                Commission(
                    ctg=ctg,
                    date=day,
                    intitule=item["intitule"],
                    theme=item.get("thematique", "petite_enfance"),
                    services=item["services"],
                    commune=commune,
                    **{name: int(item.get(name, 0)) for name in COUNTS},
                ),
            )
        for follow_up in item.get("suivis", []):
            if CommissionFollowUp.objects.filter(
                commission=commission, critere=follow_up["critere"]
            ).exists():
                continue
            commissions.save_follow_up(
                editor,
                CommissionFollowUp(
                    commission=commission,
                    critere=follow_up["critere"],
                    etape=follow_up["demarche"],
                    qui=follow_up["qui"],
                    quoi=follow_up["quoi"],
                    quand=_date(follow_up["quand"]),
                    resultat=follow_up["resultat"],
                ),
            )
    return Commission.objects.filter(ctg=ctg).count()


def _targets(ctg: Ctg, collectivite: Any, items: list[dict[str, Any]], editor: Any) -> int:
    for item in items:
        copil = _copil(ctg, item["copil"]) if item.get("copil") else None
        day = copil.date if copil else _date(item["depuis"])
        if DevelopmentTarget.objects.filter(
            ctg=ctg, collectivite=collectivite, kind=item["nature"], date_effet=day
        ).exists():
            continue
        targets.save_target(
            editor,
            DevelopmentTarget(
                ctg=ctg,
                collectivite=collectivite,
                kind=item["nature"],
                cible=int(item["objectif"]),
                precisions=item.get("precisions", ""),
                date_effet=day,
                copil=copil,
                decision=item.get("decision", ""),
            ),
        )
    return DevelopmentTarget.objects.filter(ctg=ctg).count()
