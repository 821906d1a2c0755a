"""State changes of a recruitment: one ``do_*`` function per change, each in one transaction
that also writes its history row (and its notifications; their e-mails leave after commit).

The rules of the référentiel (« la Caf doit être associée à la procédure de recrutement […] La
Caf […] émet un avis sur le choix de la collectivité, préalablement à la phase finale du
recrutement ») are enforced here, whatever the caller: each function raises
:class:`RecruitmentError` with one French sentence when the change is not allowed, and writes
nothing.

- stages move forward one at a time, or back one step with a reason;
- the Caf must be invited to the panel before the interviews;
- the collectivité names its choice when it asks for the Caf's opinion;
- the Caf's opinion (favorable, réservé, défavorable, always motivated) is given at the stage
  « Avis de la Caf » by a Caf administrator or the advisor assigned to the collectivité;
- without that opinion, the recruitment can neither reach « Décision » nor record a decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts.actors import actor, actor_name
from coopctg.accounts.models import User
from coopctg.accounts.roles import Role
from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot
from coopctg.core.formats import format_etp
from coopctg.core.models import AuditEntry
from coopctg.ctg.models import Ctg
from coopctg.framework.models import ExpectedOutput, FrameworkVersion
from coopctg.funding.models import (
    ENVELOPE_CHOICES,
    POST_TYPE_CHOICES,
    FundedPerson,
    FundingArchitecture,
)
from coopctg.notifications.services import notify
from coopctg.organisations.models import LocalAuthority, StaffMember
from coopctg.recruitment import access
from coopctg.recruitment.models import (
    Decision,
    Opinion,
    Recruitment,
    RecruitmentAssignment,
    Stage,
    StageChange,
)

#: A post is held by one person: at most one full-time equivalent.
MAX_POST_ETP = Decimal("1.00")

AUDITED_FIELDS = [
    "intitule",
    "type_poste",
    "collectivite",
    "ctg",
    "personne_financee_libelle",
    "referentiel",
    "etape",
    "caf_invite",
    "caf_invite_le",
    "candidat_pressenti",
    "avis",
    "avis_motif",
    "avis_par_nom",
    "avis_le",
    "decision",
    "candidat_retenu",
    "date_prise_poste",
    "decision_commentaire",
]


class RecruitmentError(Exception):
    """A change refused by the rules; the message is one French sentence for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- Helpers -----------------------------------------------------------------------------


def audit_snapshot(recruitment: Recruitment) -> dict[str, Any]:
    data = snapshot(recruitment, AUDITED_FIELDS)
    data["attendus"] = sorted(recruitment.attendus.values_list("code", flat=True))
    data["affectations"] = {
        a.enveloppe: f"{a.etp:f}" for a in recruitment.affectations.order_by("enveloppe")
    }
    return data


def _lock(recruitment: Recruitment) -> Recruitment:
    """The row, locked until the end of the transaction, with its current values."""
    return Recruitment.objects.select_for_update().get(pk=recruitment.pk)


def _record(user: Any, recruitment: Recruitment, before: dict[str, Any] | None) -> None:
    record_change(
        user,
        recruitment,
        AuditEntry.Action.CREATION if before is None else AuditEntry.Action.MODIFICATION,
        before=before,
        after=audit_snapshot(recruitment),
        caf_id=recruitment.collectivite.caf_id,
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise RecruitmentError(message)


def _require_open(recruitment: Recruitment) -> None:
    if recruitment.is_closed:
        raise RecruitmentError(
            "Le recrutement est clos : sa décision finale est enregistrée, il ne peut plus changer."
        )


def link(recruitment: Recruitment) -> str:
    return reverse("recruitment:detail", args=[recruitment.pk])


def _members(collectivite: LocalAuthority, *roles: Role, on_caf: bool = False) -> Iterable[User]:
    lookup: dict[str, Any] = {"memberships__role__in": [r.value for r in roles]}
    if on_caf:
        lookup["memberships__caf_id"] = collectivite.caf_id
        lookup["memberships__collectivite__isnull"] = True
    else:
        lookup["memberships__collectivite"] = collectivite
    return User.objects.filter(is_active=True, **lookup).distinct().order_by("pk")


# --- The post ------------------------------------------------------------------------------


@dataclass
class PostInput:
    """What defines the post: the same for a creation and an edit."""

    collectivite: LocalAuthority
    ctg: Ctg
    intitule: str
    type_poste: str
    etp: dict[str, Decimal]  # envelope → Etp (only positive values)
    attendus: list[ExpectedOutput]
    referentiel: FrameworkVersion
    personne_financee: FundedPerson | None = None


def architecture_label(architecture: FundingArchitecture) -> str:
    """« architecture de travail », or the Cof version it belongs to."""
    try:
        version = architecture.version
    except ObjectDoesNotExist:
        return "architecture de travail"
    return f"Cof {version.cof.numero}, {version.label.lower()}"


def funded_person_label(person: FundedPerson) -> str:
    """« M. C (Chargé de coopération général) — Cof 2022-01, cof initiale »."""
    function = f" ({person.fonction})" if person.fonction else ""
    return f"{person.nom}{function} — {architecture_label(person.architecture)}"


def check_post(post: PostInput) -> None:
    """The rules of a post; raises :class:`RecruitmentError` naming the faulty field."""
    if not post.intitule.strip():
        raise RecruitmentError("Indiquez l'intitulé du poste.", "intitule")
    if post.type_poste not in {code for code, _ in POST_TYPE_CHOICES}:
        raise RecruitmentError("Choisissez le type de poste.", "type_poste")
    if not post.ctg.signataires.filter(pk=post.collectivite.pk).exists():
        raise RecruitmentError(
            f"La collectivité « {post.collectivite} » n'est pas signataire de la Ctg "
            f"« {post.ctg} ».",
            "ctg",
        )
    envelopes = {code for code, _ in ENVELOPE_CHOICES}
    if any(code not in envelopes for code in post.etp):
        raise RecruitmentError("Enveloppe thématique inconnue.", "etp")
    if any(etp <= 0 for etp in post.etp.values()):
        raise RecruitmentError("Chaque part d'Etp doit être positive.", "etp")
    total = sum(post.etp.values(), Decimal(0))
    if total <= 0:
        raise RecruitmentError(
            "Affectez au moins une part d'Etp à l'une des enveloppes thématiques.", "etp"
        )
    if total > MAX_POST_ETP:
        raise RecruitmentError(
            f"Le poste totalise {format_etp(total)} : un poste ne peut dépasser "
            f"{format_etp(MAX_POST_ETP)}.",
            "etp",
        )
    if not post.attendus:
        raise RecruitmentError(
            "Choisissez au moins un attendu du référentiel (ou une mission entière).", "attendus"
        )
    versions = {
        version
        for version in ExpectedOutput.objects.filter(
            pk__in=[a.pk for a in post.attendus]
        ).values_list("objective__mission__version_id", flat=True)
    }
    if versions != {post.referentiel.pk}:
        raise RecruitmentError(
            f"Les attendus doivent tous venir du référentiel « {post.referentiel.code} ».",
            "attendus",
        )
    person = post.personne_financee
    if person is not None and (
        person.architecture.ctg_id != post.ctg.pk
        or person.architecture.collectivite_id != post.collectivite.pk
    ):
        raise RecruitmentError(
            "Ce poste de l'architecture de financement n'appartient pas à la collectivité et à "
            "la Ctg choisies.",
            "personne_financee",
        )


def _write_post(recruitment: Recruitment, post: PostInput) -> None:
    recruitment.collectivite = post.collectivite
    recruitment.ctg = post.ctg
    recruitment.intitule = post.intitule.strip()
    recruitment.type_poste = post.type_poste
    recruitment.referentiel = post.referentiel
    if post.personne_financee is None:
        if recruitment.personne_financee_id is not None:  # unlinked on purpose
            recruitment.personne_financee_libelle = ""
        # else: a link lost when the architecture was saved again keeps its label
    elif post.personne_financee.pk != recruitment.personne_financee_id:
        recruitment.personne_financee_libelle = funded_person_label(post.personne_financee)
    recruitment.personne_financee = post.personne_financee
    recruitment.save()
    recruitment.attendus.set(post.attendus)
    recruitment.affectations.all().delete()
    with versions.writing_for(row=recruitment):
        RecruitmentAssignment.objects.bulk_create(
            RecruitmentAssignment(recrutement=recruitment, enveloppe=code, etp=post.etp[code])
            for code, _ in ENVELOPE_CHOICES
            if post.etp.get(code)
        )


@transaction.atomic
def do_create_recruitment(user: Any, post: PostInput) -> Recruitment:
    """Open a recruitment (stage « Ouvert ») for the post described by ``post``."""
    _require(
        access.can_edit(user, Recruitment(collectivite=post.collectivite)),
        "Vous ne pouvez pas ouvrir de recrutement pour cette collectivité.",
    )
    check_post(post)
    recruitment = Recruitment(cree_par=actor(user))
    _write_post(recruitment, post)
    _record(user, recruitment, None)
    return recruitment


@transaction.atomic
def do_update_recruitment(user: Any, recruitment: Recruitment, post: PostInput) -> Recruitment:
    """Change the post, as long as the Caf's opinion has not been asked."""
    recruitment = _lock(recruitment)
    _require(access.can_edit(user, recruitment), "Vous ne pouvez pas modifier ce recrutement.")
    _require_open(recruitment)
    if not recruitment.is_editable:
        raise RecruitmentError(
            "Le poste ne peut plus être modifié : l'avis de la Caf a été demandé sur ce "
            "recrutement. Revenez à l'étape « Entretiens » (avec un motif) pour le modifier."
        )
    if post.collectivite.pk != recruitment.collectivite_id:
        raise RecruitmentError("La collectivité d'un recrutement ne change pas.", "collectivite")
    check_post(post)
    before = audit_snapshot(recruitment)
    _write_post(recruitment, post)
    _record(user, recruitment, before)
    return recruitment


# --- The Caf invited to the panel ----------------------------------------------------------


@transaction.atomic
def do_invite_caf(
    user: Any, recruitment: Recruitment, member: StaffMember, invited_on: dt.date
) -> Recruitment:
    """Record the Caf staff member invited to the recruitment panel, and the date of the
    invitation; the member is notified when they have an account."""
    recruitment = _lock(recruitment)
    _require(
        access.can_invite_caf(user, recruitment),
        "Vous ne pouvez pas inviter la Caf au jury de ce recrutement.",
    )
    _require_open(recruitment)
    if member.caf_id != recruitment.collectivite.caf_id:
        raise RecruitmentError(
            f"Choisissez un membre de l'équipe de la {recruitment.collectivite.caf}.", "membre"
        )
    if invited_on > timezone.localdate():
        raise RecruitmentError(
            "La date d'invitation ne peut pas être postérieure à aujourd'hui.", "date_invitation"
        )
    before = audit_snapshot(recruitment)
    recruitment.caf_invite = member
    recruitment.caf_invite_le = invited_on
    recruitment.caf_invite_par = actor(user)
    recruitment.save()
    _record(user, recruitment, before)
    if member.user_id:
        notify(
            [member.user],
            f"Invitation au jury de recrutement : {recruitment.intitule} "
            f"({recruitment.collectivite})",
            f"{actor_name(user)} vous invite, au nom de la Caf, au jury du recrutement du poste "
            f"« {recruitment.intitule} » de {recruitment.collectivite}.",
            link(recruitment),
        )
    return recruitment


# --- Stages --------------------------------------------------------------------------------

OPINION_REQUIRED = (
    "L'avis de la Caf est obligatoire avant la décision finale : le recrutement ne peut pas "
    "passer à l'étape « Décision » sans cet avis."
)


@transaction.atomic
def do_advance_stage(
    user: Any, recruitment: Recruitment, *, candidat_pressenti: str = ""
) -> Recruitment:
    """Move to the next stage. Reaching « Avis de la Caf » names the collectivité's choice and
    asks the Caf's opinion (notifications); « Décision » needs that opinion."""
    recruitment = _lock(recruitment)
    _require(
        access.can_move_stage(user, recruitment),
        "Seul·e l'éditeur·rice de la collectivité ou l'administrateur·rice de la Caf fait "
        "avancer le recrutement.",
    )
    _require_open(recruitment)
    target = recruitment.next_stage
    if target is None:
        raise RecruitmentError("Le recrutement est déjà à sa dernière étape.")
    if target == Stage.ENTRETIENS and recruitment.caf_invite_id is None:
        raise RecruitmentError(
            "La Caf doit être associée au recrutement : invitez un membre de son équipe au "
            "jury avant de passer aux entretiens."
        )
    candidat_pressenti = candidat_pressenti.strip()
    if target == Stage.AVIS_CAF and not candidat_pressenti:
        raise RecruitmentError(
            "Indiquez la candidature retenue par la collectivité : c'est sur ce choix que la "
            "Caf donne son avis.",
            "candidat_pressenti",
        )
    if target == Stage.DECISION and not recruitment.has_opinion:
        raise RecruitmentError(OPINION_REQUIRED)
    before = audit_snapshot(recruitment)
    origin = recruitment.stage
    recruitment.etape = target
    if target == Stage.AVIS_CAF:
        recruitment.candidat_pressenti = candidat_pressenti
    recruitment.save()
    StageChange.objects.create(
        recrutement=recruitment,
        sens=StageChange.Direction.AVANCE,
        de=origin,
        vers=target,
        par=actor(user),
        par_nom=actor_name(user),
    )
    _record(user, recruitment, before)
    if target == Stage.AVIS_CAF:
        _notify_opinion_requested(user, recruitment)
    return recruitment


def _notify_opinion_requested(user: Any, recruitment: Recruitment) -> None:
    collectivite = recruitment.collectivite
    recipients: list[User] = []
    if recruitment.caf_invite_id and recruitment.caf_invite.user_id:  # type: ignore[union-attr]
        recipients.append(recruitment.caf_invite.user)  # type: ignore[union-attr]
    recipients += _members(collectivite, Role.CAF_ADVISOR)
    recipients += _members(collectivite, Role.CAF_ADMIN, on_caf=True)
    notify(
        recipients,
        f"Avis de la Caf demandé : {recruitment.intitule} ({collectivite})",
        f"{collectivite} a choisi « {recruitment.candidat_pressenti} » pour le poste "
        f"« {recruitment.intitule} » et demande l'avis de la Caf, préalable à la décision "
        f"finale ({actor_name(user)}).",
        link(recruitment),
    )


@transaction.atomic
def do_step_back(user: Any, recruitment: Recruitment, motif: str) -> Recruitment:
    """Go back one stage, with a reason. Leaving « Avis de la Caf » for « Entretiens » drops
    the opinion given on the previous choice (the history keeps it)."""
    recruitment = _lock(recruitment)
    _require(
        access.can_move_stage(user, recruitment),
        "Seul·e l'éditeur·rice de la collectivité ou l'administrateur·rice de la Caf peut "
        "revenir à l'étape précédente.",
    )
    _require_open(recruitment)
    target = recruitment.previous_stage
    if target is None:
        raise RecruitmentError("Le recrutement est à sa première étape.")
    motif = motif.strip()
    if not motif:
        raise RecruitmentError("Indiquez le motif du retour à l'étape précédente.", "motif")
    before = audit_snapshot(recruitment)
    origin = recruitment.stage
    recruitment.etape = target
    if origin == Stage.AVIS_CAF:
        recruitment.avis = ""
        recruitment.avis_motif = ""
        recruitment.avis_par = None
        recruitment.avis_par_nom = ""
        recruitment.avis_le = None
    recruitment.save()
    StageChange.objects.create(
        recrutement=recruitment,
        sens=StageChange.Direction.RETOUR,
        de=origin,
        vers=target,
        motif=motif,
        par=actor(user),
        par_nom=actor_name(user),
    )
    _record(user, recruitment, before)
    return recruitment


# --- The Caf's opinion ---------------------------------------------------------------------


@transaction.atomic
def do_give_opinion(user: Any, recruitment: Recruitment, avis: str, motif: str) -> Recruitment:
    """The Caf's opinion on the collectivité's choice, with its motive; the collectivité's
    editors are notified. Given again at the same stage, it replaces the previous one."""
    recruitment = _lock(recruitment)
    _require(
        access.can_give_opinion(user, recruitment),
        "L'avis de la Caf est donné par un·e administrateur·rice de la Caf ou par le·la "
        "conseiller·ère qui suit la collectivité.",
    )
    _require_open(recruitment)
    if recruitment.stage != Stage.AVIS_CAF:
        raise RecruitmentError(
            "L'avis de la Caf se donne à l'étape « Avis de la Caf » du recrutement."
        )
    if avis not in Opinion.values:
        raise RecruitmentError("Choisissez l'avis : favorable, réservé ou défavorable.", "avis")
    motif = motif.strip()
    if not motif:
        raise RecruitmentError("L'avis de la Caf doit être motivé : indiquez son motif.", "motif")
    before = audit_snapshot(recruitment)
    recruitment.avis = avis
    recruitment.avis_motif = motif
    recruitment.avis_par = actor(user)
    recruitment.avis_par_nom = actor_name(user)
    recruitment.avis_le = timezone.now()
    recruitment.save()
    _record(user, recruitment, before)
    notify(
        _members(recruitment.collectivite, Role.COLLECTIVITE_EDITOR),
        f"Avis de la Caf rendu : {recruitment.intitule} — {Opinion(avis).label.lower()}",
        f"La Caf a rendu un avis {Opinion(avis).label.lower()} sur le choix de "
        f"« {recruitment.candidat_pressenti} » pour le poste « {recruitment.intitule} ». "
        f"Motif : {motif}",
        link(recruitment),
    )
    return recruitment


# --- The decision --------------------------------------------------------------------------


@transaction.atomic
def do_record_decision(
    user: Any,
    recruitment: Recruitment,
    decision: str,
    *,
    candidat: str = "",
    date_prise_poste: dt.date | None = None,
    commentaire: str = "",
) -> Recruitment:
    """The final decision: a retained candidate (name, start date) or « infructueux ».
    Refused without the Caf's opinion. The recruitment is then closed."""
    recruitment = _lock(recruitment)
    _require(
        access.can_decide(user, recruitment),
        "La décision est enregistrée par l'éditeur·rice de la collectivité ou "
        "l'administrateur·rice de la Caf.",
    )
    _require_open(recruitment)
    if not recruitment.has_opinion:
        raise RecruitmentError(
            "L'avis de la Caf est obligatoire avant la décision finale : la décision ne peut "
            "pas être enregistrée tant que la Caf n'a pas rendu son avis."
        )
    if recruitment.stage != Stage.DECISION:
        raise RecruitmentError("Passez d'abord le recrutement à l'étape « Décision ».")
    if decision not in Decision.values:
        raise RecruitmentError(
            "Choisissez la décision : candidat·e retenu·e ou recrutement infructueux.", "decision"
        )
    candidat = candidat.strip()
    if decision == Decision.RETENU:
        if not candidat:
            raise RecruitmentError("Indiquez le nom de la personne retenue.", "candidat_retenu")
        if date_prise_poste is None:
            raise RecruitmentError("Indiquez la date de prise de poste.", "date_prise_poste")
    else:
        candidat, date_prise_poste = "", None
    before = audit_snapshot(recruitment)
    recruitment.decision = decision
    recruitment.candidat_retenu = candidat
    recruitment.date_prise_poste = date_prise_poste
    recruitment.decision_commentaire = commentaire.strip()
    recruitment.decision_par = actor(user)
    recruitment.decision_le = timezone.now()
    recruitment.save()
    _record(user, recruitment, before)
    return recruitment
