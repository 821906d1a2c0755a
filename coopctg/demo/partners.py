"""Partners and networks of the demonstration's Gâtine-Racan Ctg (``data/partenaires-gatine.yaml``):
a dozen Touraine partners imported from a data·inclusion ``structures`` file of fictitious
values (the importer of ``coopctg partenaires importer``), on the Ctg's actions, instances and
diagnostic; the networks of its chargée de coopération and their meetings.

Runs after the follow-up and the mission 2 (it needs the plan, the instances and the
diagnostic). Idempotent: the import updates by (source, id); links are created when missing,
what the application changed afterwards is kept.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from coopctg.actionplan.models import Action
from coopctg.agreements.models import FundingAgreement
from coopctg.diagnostic.models import Diagnostic
from coopctg.governance.models import Meeting
from coopctg.partners.importer import import_file
from coopctg.partners.models import (
    ActionPartner,
    DiagnosticPartner,
    MeetingPartner,
    Network,
    NetworkMeeting,
    NetworkMembership,
    Partner,
)

DATA = Path(__file__).resolve().parent / "data"
PARTNERS_FILE = DATA / "partenaires-gatine.yaml"


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def load_partners(path: Path = PARTNERS_FILE) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cof = (
        FundingAgreement.objects.select_related("ctg__caf", "collectivite")
        .filter(numero=data["cof"])
        .first()
    )
    if cof is None:
        return "Partenaires de démonstration : Cof absente, rien n'est chargé."
    ctg, caf = cof.ctg, cof.ctg.caf
    source_file = DATA / data["fichier"]
    import_file(source_file.name, source_file.read_bytes(), caf)
    partners = {
        p.identifiant: p for p in Partner.objects.filter(caf=caf, source="demonstration-coopctg")
    }
    for identifiant, kind in (data.get("natures") or {}).items():
        Partner.objects.filter(pk=partners[identifiant].pk).update(kind=kind)
    for identifiant, contact in (data.get("contacts") or {}).items():
        Partner.objects.filter(pk=partners[identifiant].pk, contact_fonction="").update(
            contact_fonction=contact
        )
    for identifiant in data.get("services_internes") or []:
        Partner.objects.filter(pk=partners[identifiant].pk).update(
            kind="service_collectivite", collectivite=cof.collectivite
        )
    actions = {a.code: a for a in Action.objects.filter(ctg=ctg)}
    links = 0
    for code, roles in (data.get("actions") or {}).items():
        action = actions.get(code)
        if action is None:
            continue
        for role, ids in roles.items():
            for identifiant in ids:
                _, created = ActionPartner.objects.get_or_create(
                    action=action, partner=partners[identifiant], defaults={"role": role}
                )
                links += created
    meetings = {(m.kind, m.date): m for m in Meeting.objects.filter(ctg=ctg)}
    for spec in data.get("instances") or []:
        meeting = meetings.get((spec["type"], _date(spec["date"])))
        if meeting is None:
            continue
        for presence, key in (("present", "presents"), ("excuse", "excuses")):
            for identifiant in spec.get(key) or []:
                _, created = MeetingPartner.objects.get_or_create(
                    meeting=meeting, partner=partners[identifiant], defaults={"presence": presence}
                )
                links += created
    versions = {d.version: d for d in Diagnostic.objects.filter(ctg=ctg)}
    for version, ids in (data.get("diagnostic") or {}).items():
        diagnostic = versions.get(int(version))
        for identifiant in ids if diagnostic else []:
            DiagnosticPartner.objects.get_or_create(
                diagnostic=diagnostic, partner=partners[identifiant]
            )
    networks = 0
    for spec in data.get("reseaux") or []:
        network, _ = Network.objects.get_or_create(
            caf=caf,
            nom=spec["nom"],
            defaults={"kind": spec["nature"], "theme": spec.get("thematique", "")},
        )
        network.partenaires.add(*(partners[i] for i in spec.get("partenaires") or []))
        NetworkMembership.objects.get_or_create(
            network=network, ctg=ctg, date_debut=_date(spec["adhesion"])
        )
        prefix = spec.get("reunions")
        if prefix:
            for meeting in Meeting.objects.filter(
                ctg=ctg, kind="reseau", objet__startswith=prefix, reseau_lie__isnull=True
            ):
                NetworkMeeting.objects.create(meeting=meeting, network=network)
        networks += 1
    return (
        f"Partenaires de démonstration ({ctg.intitule}) : {len(partners)} partenaires "
        f"(valeurs fictives), {links} liens nouveaux, {networks} réseaux."
    )
