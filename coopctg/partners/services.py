"""One service per question on partners and networks, read by pages, CLI, API, reports and
dashboards alike.

- :func:`export_rows` / :func:`export_json` / :func:`export_csv` / :func:`export_xlsx`: the
  directory of a Caf;
- :func:`participations`: everything a partner takes part in (actions, instances, diagnostic
  consultations, networks);
- :func:`ctg_network`: the partner network of a Ctg (who works with whom through which
  actions), drawn as a server-side SVG and given as a table;
- :func:`network_participation`: the networks and network meetings of a Ctg over a period
  (the eligibility condition, the bilan annuel, the dashboards);
- :func:`partner_facts`: the partners of a Ctg in a year (the bilan annuel).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from openpyxl import Workbook

from coopctg.core.exports import csv_text, put, workbook_bytes
from coopctg.core.themes import theme_labels
from coopctg.partners.models import (
    ActionPartner,
    DiagnosticPartner,
    MeetingPartner,
    Network,
    NetworkMeeting,
    NetworkMembership,
    Partner,
)
from coopctg.partners.rules import (
    ACTION_ROLE_LABELS,
    PARTNER_KIND_LABELS,
    PRESENCE_LABELS,
    ActionRole,
    PartnerKind,
    Presence,
    circle_layout,
)

EXPORT_HEADER = [
    "source",
    "id",
    "nom",
    "siret",
    "nature",
    "code_insee",
    "commune",
    "thematiques",
    "publics",
    "contact",
    "date_maj",
]


# --- Export --------------------------------------------------------------------------------


def directory(caf_id: int) -> QuerySet[Partner]:
    return Partner.objects.filter(caf_id=caf_id).order_by("nom", "pk")


def export_json(partners: QuerySet[Partner]) -> dict[str, Any]:
    """``{"partenaires": [{"source", "id", "nom", "siret", "code_insee", "commune",
    "thematiques"}]}`` (our theme codes)."""
    return {
        "partenaires": [
            {
                "source": p.source,
                "id": p.identifiant,
                "nom": p.nom,
                "siret": p.siret or None,
                "code_insee": p.code_insee or None,
                "commune": p.commune or None,
                "thematiques": list(p.themes),
            }
            for p in partners
        ]
    }


def _row(p: Partner) -> list[Any]:
    return [
        p.source,
        p.identifiant,
        p.nom,
        p.siret,
        PARTNER_KIND_LABELS[PartnerKind(p.kind)],
        p.code_insee,
        p.commune,
        ", ".join(theme_labels(p.themes)),
        ", ".join(p.publics),
        p.contact_fonction,
        p.date_maj,
    ]


def export_csv(partners: QuerySet[Partner]) -> str:
    return csv_text(EXPORT_HEADER, (_row(p) for p in partners))


def export_xlsx(partners: QuerySet[Partner]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Partenaires"
    for column, name in enumerate(EXPORT_HEADER, start=1):
        put(sheet, 1, column, name)
    for line, partner in enumerate(partners, start=2):
        for column, value in enumerate(_row(partner), start=1):
            put(sheet, line, column, value)
    return workbook_bytes(workbook)


def export_text(partners: QuerySet[Partner], format: str) -> str | bytes:
    if format == "json":
        return json.dumps(export_json(partners), ensure_ascii=False, indent=2) + "\n"
    if format == "csv":
        return export_csv(partners)
    return export_xlsx(partners)


# --- What a partner takes part in ----------------------------------------------------------


@dataclass
class Participations:
    actions: list[ActionPartner]
    meetings: list[MeetingPartner]
    diagnostics: list[DiagnosticPartner]
    networks: list[Network]
    consultations: list[Any] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.actions or self.meetings or self.diagnostics or self.networks or self.consultations
        )


def participations(partner: Partner, ctg_ids: QuerySet[Any] | set[int]) -> Participations:
    """What ``partner`` takes part in, within the Ctg ``ctg_ids`` (those the reader sees)."""
    return Participations(
        actions=list(
            ActionPartner.objects.filter(partner=partner, action__ctg__in=ctg_ids)
            .select_related("action", "action__ctg")
            .order_by("action__ctg__intitule", "action__code", "pk")
        ),
        meetings=list(
            MeetingPartner.objects.filter(partner=partner, meeting__ctg__in=ctg_ids)
            .select_related("meeting", "meeting__ctg")
            .order_by("-meeting__date", "pk")
        ),
        diagnostics=list(
            DiagnosticPartner.objects.filter(partner=partner, diagnostic__ctg__in=ctg_ids)
            .select_related("diagnostic", "diagnostic__ctg")
            .order_by("diagnostic__ctg__intitule", "-diagnostic__version")
        ),
        networks=list(partner.reseaux.order_by("nom")),
        consultations=list(
            partner.consultations.filter(ctg__in=ctg_ids)
            .select_related("ctg")
            .order_by("-date_debut", "pk")
        ),
    )


# --- Links (one function per change) -------------------------------------------------------


def set_action_partners(action: Any, rows: list[tuple[Partner, str]]) -> None:
    """Replace the partners of ``action`` (pilot, contributors, internal services)."""
    with transaction.atomic():
        ActionPartner.objects.filter(action=action).delete()
        ActionPartner.objects.bulk_create(
            ActionPartner(action=action, partner=partner, role=role) for partner, role in rows
        )


def set_meeting_partners(meeting: Any, rows: list[tuple[Partner, str]]) -> None:
    """Replace the partners of an instance (present, excused)."""
    with transaction.atomic():
        MeetingPartner.objects.filter(meeting=meeting).delete()
        MeetingPartner.objects.bulk_create(
            MeetingPartner(meeting=meeting, partner=partner, presence=presence)
            for partner, presence in rows
        )


def set_diagnostic_partners(diagnostic: Any, partners: list[Partner]) -> None:
    """Replace the partners consulted for a draft version of the diagnostic partagé."""
    with transaction.atomic():
        DiagnosticPartner.objects.filter(diagnostic=diagnostic).delete()
        DiagnosticPartner.objects.bulk_create(
            DiagnosticPartner(diagnostic=diagnostic, partner=partner) for partner in partners
        )


def set_meeting_network(meeting: Any, network: Network | None) -> None:
    with transaction.atomic():
        NetworkMeeting.objects.filter(meeting=meeting).delete()
        if network is not None:
            NetworkMeeting.objects.create(meeting=meeting, network=network)


# --- The partner network of a Ctg ----------------------------------------------------------


#: The drawing: a circle of partners in the middle, their names outside it, left or right.
GRAPH_WIDTH, GRAPH_HEIGHT, GRAPH_SHIFT = 900, 560, 170


@dataclass
class GraphNode:
    partner: Partner
    x: float = 0
    y: float = 0
    actions: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        name = self.partner.nom
        return name if len(name) <= 30 else name[:29] + "…"

    @property
    def _dx(self) -> float:
        return self.x - GRAPH_WIDTH / 2

    @property
    def _dy(self) -> float:
        return self.y - GRAPH_HEIGHT / 2

    @property
    def label_x(self) -> float:
        """The name outside the circle, on the partner's side."""
        dx = self._dx
        return round(self.x + (14 if dx > 1 else -14 if dx < -1 else 0), 1)

    @property
    def label_y(self) -> float:
        dy, dx = self._dy, self._dx
        if abs(dx) <= 1:  # at the top or the bottom: above or below the point
            return round(self.y + (-16 if dy < 0 else 26), 1)
        return round(self.y + 4, 1)

    @property
    def anchor(self) -> str:
        dx = self._dx
        return "start" if dx > 1 else "end" if dx < -1 else "middle"


@dataclass
class GraphEdge:
    a: GraphNode
    b: GraphNode
    actions: list[str]

    @property
    def width(self) -> int:
        return min(1 + len(self.actions), 6)


@dataclass
class CtgNetwork:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: int = GRAPH_WIDTH
    height: int = GRAPH_HEIGHT

    @property
    def empty(self) -> bool:
        return not self.nodes


def ctg_network(ctg_id: int) -> CtgNetwork:
    """The partners of the Ctg's actions, and who works with whom through which actions:
    two partners are linked when they take part in the same fiche action. Two queries."""
    rows = list(
        ActionPartner.objects.filter(action__ctg_id=ctg_id)
        .select_related("partner", "action")
        .order_by("partner__nom", "partner_id", "action__code")
    )
    nodes: dict[int, GraphNode] = {}
    by_action: dict[int, list[int]] = defaultdict(list)
    labels: dict[int, str] = {}
    for row in rows:
        node = nodes.setdefault(row.partner_id, GraphNode(row.partner))
        label = f"{row.action.code} {row.action.titre}"
        labels[row.action_id] = label
        if label not in node.actions:
            node.actions.append(label)
        if row.partner_id not in by_action[row.action_id]:
            by_action[row.action_id].append(row.partner_id)
    ordered = list(nodes.values())
    for node, point in zip(ordered, circle_layout(len(ordered), size=GRAPH_HEIGHT), strict=True):
        node.x, node.y = point.x + GRAPH_SHIFT, point.y
    pairs: dict[tuple[int, int], list[str]] = defaultdict(list)
    for action_id, members in by_action.items():
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                key = (min(first, second), max(first, second))
                pairs[key].append(labels[action_id])

    edges = []
    for (a, b), actions in pairs.items():
        first, second = sorted((nodes[a], nodes[b]), key=lambda n: (n.partner.nom, n.partner.pk))
        edges.append(GraphEdge(first, second, sorted(actions)))
    edges.sort(key=lambda e: (e.a.partner.nom, e.b.partner.nom))
    return CtgNetwork(ordered, edges)


# --- Networks of a Ctg ---------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkFact:
    """A network of the Ctg over a period: member (overlapping membership), meetings held."""

    name: str
    kind: str
    member: bool
    meetings: tuple[dt.date, ...]


def network_participation(ctg_id: int, start: dt.date, end: dt.date) -> list[NetworkFact]:
    """The networks the Ctg's chargé·e de coopération belonged to between ``start`` and
    ``end`` (membership overlapping the period) or whose meetings the Ctg held then; the
    réseau instances without a named network are grouped under « réseau non précisé »."""
    return participation_of_ctgs([ctg_id], start, end)[ctg_id]


def participation_of_ctgs(
    ctg_ids: list[int], start: dt.date, end: dt.date
) -> dict[int, list[NetworkFact]]:
    """:func:`network_participation` of many Ctg at once (2 queries)."""
    from coopctg.governance.models import Meeting
    from coopctg.governance.rules import MeetingKind

    facts: dict[int, dict[str, dict[str, Any]]] = {pk: {} for pk in ctg_ids}
    memberships = (
        NetworkMembership.objects.filter(ctg_id__in=ctg_ids, date_debut__lte=end)
        .filter(Q(date_fin__isnull=True) | Q(date_fin__gte=start))
        .select_related("network")
    )
    for membership in memberships:
        entry = facts[membership.ctg_id].setdefault(
            membership.network.nom,
            {"kind": membership.network.get_kind_display(), "member": True, "meetings": []},
        )
        entry["member"] = True
    meetings = (
        Meeting.objects.filter(
            ctg_id__in=ctg_ids, kind=MeetingKind.RESEAU.value, date__gte=start, date__lte=end
        )
        .select_related("reseau_lie__network")
        .order_by("date", "pk")
    )
    for meeting in meetings:
        link = getattr(meeting, "reseau_lie", None)
        if link is None:
            entry = facts[meeting.ctg_id].setdefault(
                "réseau non précisé", {"kind": "", "member": False, "meetings": []}
            )
        else:
            entry = facts[meeting.ctg_id].setdefault(
                link.network.nom,
                {"kind": link.network.get_kind_display(), "member": False, "meetings": []},
            )
        entry["meetings"].append(meeting.date)
    return {
        pk: [
            NetworkFact(name, entry["kind"], entry["member"], tuple(entry["meetings"]))
            for name, entry in sorted(by_name.items())
        ]
        for pk, by_name in facts.items()
    }


# --- Facts of a year -----------------------------------------------------------------------


def partner_facts(ctg_id: int, year: int) -> dict[str, Any]:
    """:func:`facts_of_ctgs` of one Ctg."""
    return facts_of_ctgs([ctg_id], year)[ctg_id]


def facts_of_ctgs(ctg_ids: list[int], year: int) -> dict[int, dict[str, Any]]:
    """The partners and networks of the Ctg in ``year`` for the bilan annuel (frozen with its
    facts at transmission), and the records behind the objectives of mission 3 of the
    référentiel (« animer la mise en réseau des acteurs »).

    A **new partner** of the year is one present at an instance of the Ctg that year and at
    none before: the date of a partnership is the first instance it attended."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    all_links: dict[int, list[tuple[int, int, str]]] = {pk: [] for pk in ctg_ids}
    for ctg_id, partner_id, action_id, role in ActionPartner.objects.filter(
        action__ctg_id__in=ctg_ids
    ).values_list("action__ctg_id", "partner_id", "action_id", "role"):
        all_links[ctg_id].append((partner_id, action_id, role))
    all_presences: dict[int, list[tuple[int, str, dt.date]]] = {pk: [] for pk in ctg_ids}
    for ctg_id, partner_id, name, day in MeetingPartner.objects.filter(
        meeting__ctg_id__in=ctg_ids, meeting__date__lte=end, presence=Presence.PRESENT.value
    ).values_list("meeting__ctg_id", "partner_id", "partner__nom", "meeting__date"):
        all_presences[ctg_id].append((partner_id, name, day))
    participation = participation_of_ctgs(ctg_ids, start, end)
    return {
        pk: _year_facts(all_links[pk], all_presences[pk], participation[pk], start)
        for pk in ctg_ids
    }


def _year_facts(
    links: list[tuple[int, int, str]],
    presences: list[tuple[int, str, dt.date]],
    networks: list[NetworkFact],
    start: dt.date,
) -> dict[str, Any]:
    present = {pk for pk, _, day in presences if day >= start}
    earlier = {pk for pk, _, day in presences if day < start}
    new = sorted({name for pk, name, day in presences if pk in present - earlier})
    internal = {pk for pk, _, role in links if role == ActionRole.SERVICE_INTERNE.value}
    external_actions = {a for _, a, role in links if role != ActionRole.SERVICE_INTERNE.value}
    internal_actions = {a for _, a, role in links if role == ActionRole.SERVICE_INTERNE.value}
    meetings = sum(len(n.meetings) for n in networks)
    action_partners = {pk for pk, _, role in links if role != ActionRole.SERVICE_INTERNE.value}
    network_text = (
        ", ".join(
            f"{n.name} ({'membre, ' if n.member else ''}"
            f"{len(n.meetings)} réunion{'s' if len(n.meetings) != 1 else ''})"
            for n in networks
        )
        or "aucun réseau enregistré"
    )
    return {
        "partenaires_actions": len(action_partners),
        "partenaires_presents": len(present),
        "nouveaux_partenaires": len(new),
        "nouveaux_partenaires_noms": new,
        "services_internes": len(internal),
        "reseaux": [
            {
                "nom": n.name,
                "nature": n.kind,
                "membre": n.member,
                "reunions": [d.isoformat() for d in n.meetings],
            }
            for n in networks
        ],
        "reunions_reseau": meetings,
        "mission3": {
            "M3.O1": (
                f"{len(action_partners)} partenaire(s) sur les fiches actions, "
                f"{len(present)} présent(s) aux instances de l'année, dont {len(new)} nouveau(x)"
            ),
            "M3.O2": f"réseaux de l'année : {network_text}",
            "M3.O3": (
                f"{len(internal)} service(s) interne(s) de la collectivité sur "
                f"{len(internal_actions)} fiche(s) action ; {len(external_actions)} fiche(s) "
                "avec des partenaires extérieurs"
            ),
        },
    }


def new_partners(ctg_id: int, start: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    """The partners whose first instance of the Ctg attended (present) falls within
    [``start``, ``end``], with that date: the new partnerships of the period. One query."""
    first: dict[int, tuple[str, dt.date]] = {}
    for pk, name, day in (
        MeetingPartner.objects.filter(
            meeting__ctg_id=ctg_id, presence=Presence.PRESENT.value, meeting__date__lte=end
        )
        .order_by("meeting__date", "pk")
        .values_list("partner_id", "partner__nom", "meeting__date")
    ):
        first.setdefault(pk, (name, day))
    return sorted(
        ((name, day) for name, day in first.values() if day >= start), key=lambda r: (r[1], r[0])
    )


def role_label(code: str) -> str:
    return ACTION_ROLE_LABELS[ActionRole(code)]


def presence_label(code: str) -> str:
    return PRESENCE_LABELS[Presence(code)]
