"""The partners of a fiche action and of an instance, shown on their pages (one query each)."""

from typing import Any

from django import template

from coopctg.partners.models import (
    ActionPartner,
    DiagnosticPartner,
    MeetingPartner,
    NetworkMeeting,
)

register = template.Library()


@register.inclusion_tag("partners/_action_partners.html")
def action_partners(action: Any, can_edit: bool = False) -> dict[str, Any]:
    rows = list(
        ActionPartner.objects.filter(action=action)
        .select_related("partner")
        .order_by("role", "partner__nom")
    )
    return {"action": action, "rows": rows, "can_edit": can_edit}


@register.inclusion_tag("partners/_meeting_partners.html")
def meeting_partners(meeting: Any, can_edit: bool = False) -> dict[str, Any]:
    rows = list(
        MeetingPartner.objects.filter(meeting=meeting)
        .select_related("partner")
        .order_by("presence", "partner__nom")
    )
    network = None
    if meeting.kind == "reseau":
        link = NetworkMeeting.objects.filter(meeting=meeting).select_related("network").first()
        network = link.network if link else None
    return {
        "meeting": meeting,
        "present": [r for r in rows if r.presence == "present"],
        "excused": [r for r in rows if r.presence == "excuse"],
        "network": network,
        "can_edit": can_edit,
    }


@register.inclusion_tag("partners/_mission3_records.html")
def mission3_records(faits: Any, objective_code: str) -> dict[str, Any]:
    """The records behind an objective of mission 3, next to its self-assessment (from the
    bilan's facts: frozen at transmission)."""
    section = (faits or {}).get("partenaires") or {}
    return {"text": (section.get("mission3") or {}).get(objective_code, "")}


@register.inclusion_tag("partners/_evaluation_partnerships.html")
def recorded_partnerships(evaluation: Any, kind: Any) -> dict[str, Any]:
    """Next to the target of new partnerships in the evaluation: the new partners recorded for
    the Ctg over its duration (first instance attended), compared with the target."""
    if getattr(kind, "kind", "") != "partenariat":
        return {"show": False}
    from coopctg.partners.services import new_partners

    ctg = evaluation.ctg
    end = min(ctg.date_fin, evaluation.today)
    rows = new_partners(ctg.pk, ctg.date_debut, end)
    target = kind.target.cible if kind.target else None
    return {"show": True, "rows": rows, "target": target}


@register.inclusion_tag("partners/_diagnostic_partners.html")
def diagnostic_partners(diagnostic: Any, can_edit: bool = False) -> dict[str, Any]:
    rows = list(
        DiagnosticPartner.objects.filter(diagnostic=diagnostic)
        .select_related("partner")
        .order_by("partner__nom")
    )
    return {"diagnostic": diagnostic, "rows": rows, "can_edit": can_edit}
