"""State changes of a Cof and of its modification requests: one ``do_*`` function per change.

Each function runs in one transaction that also writes its history row (and its
notifications: the rows now, the e-mails after commit); documents (the avenant's PDF) are
produced after commit by :func:`~coopctg.agreements.services.sign_version`. Whatever the
caller, each function checks who acts (:mod:`coopctg.agreements.access`) and the référentiel's
rules, and raises :class:`WorkflowError` — one French sentence, with the form field it concerns —
writing nothing.

The référentiel: « Tout changement d'organisation, d'affectation de mission, de thématique,
doit faire l'objet d'une prise de contact préalable, d'échanges et d'un accord de la Caf qui se
matérialisera par un avenant à la convention » — hence the request, the exchange, the decision
and the avenant; and « Tout développement doit faire l'objet d'une prise de contact préalable,
d'échanges et d'un accord de la Caf » — hence no acceptance of a development (more Etp than the
version in force) without the Caf's prior agreement, recorded with who and when.

Concurrency: every change of a request is a conditional UPDATE on its status and ``revision``
(``filter(pk=…, statut=…, revision=…).update(…)`` returns 1 or 0) inside the transaction. Two
advisors deciding the same request at once: on PostgreSQL the second UPDATE waits for the first
transaction, then matches no row; exactly one decision is recorded, the other caller gets
:class:`StaleRequestError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts.actors import actor, actor_name, others
from coopctg.accounts.models import User
from coopctg.accounts.roles import Role
from coopctg.agreements import access
from coopctg.agreements.diff import Comparison, compare, comparison_to_json
from coopctg.agreements.models import (
    AgreementVersion,
    FundingAgreement,
    ModificationRequest,
    RequestComment,
    cof_number_error,
)
from coopctg.agreements.services import (
    AgreementError,
    InvalidCofNumberError,
    OverlappingCofError,
    SignatoryInput,
    SignatureError,
    VersionInput,
    check_signatories,
    create_cof,
    overlap_message,
    overlapping_cof,
    save_cof_architecture,
    sign_version,
    signed_versions,
)
from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot
from coopctg.core.formats import format_date, format_etp
from coopctg.core.models import AuditEntry
from coopctg.core.params import ParameterError
from coopctg.funding.models import FundingArchitecture
from coopctg.funding.rules import FundingResult, Severity
from coopctg.funding.services import (
    PersonRow,
    compute,
    compute_architecture,
    load_architecture,
    save_architecture,
    stored_rows,
    to_engine,
)
from coopctg.notifications.services import notify
from coopctg.organisations.models import LocalAuthority

REQUEST_FIELDS = [
    "statut",
    "motif",
    "soumise_le",
    "decision_motif",
    "decidee_par",
    "decidee_le",
    "accord_prealable",
    "accord_prealable_par",
    "accord_prealable_le",
    "avenant",
    "difference_depuis",
]
COMMENT_FIELDS = ["nature", "cote", "texte"]
MOTIF_MAX = 5000


def today() -> dt.date:
    """Today in Paris (tests replace it)."""
    return timezone.localdate()


class WorkflowError(AgreementError):
    """A change refused by the rules; ``field`` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaleRequestError(WorkflowError):
    """The request changed since the caller read it (another decision, a new revision)."""


# --- Helpers -------------------------------------------------------------------------------


def _sentence(phrase: str) -> str:
    """« la Cof … » → « La Cof …. »: a service's phrase as a message."""
    return phrase[:1].upper() + phrase[1:] + "."


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise WorkflowError(message)


def request_link(demande: ModificationRequest) -> str:
    return reverse("agreements:request", args=[demande.pk])


def request_snapshot(demande: ModificationRequest) -> dict[str, Any]:
    data = snapshot(demande, REQUEST_FIELDS)
    data["date_effet"] = demande.architecture.date_effet.isoformat()
    return data


def _record_request(user: Any, demande: ModificationRequest, before: dict[str, Any] | None) -> None:
    record_change(
        user,
        demande,
        AuditEntry.Action.CREATION if before is None else AuditEntry.Action.MODIFICATION,
        before=before,
        after=request_snapshot(demande),
        caf_id=demande.cof.collectivite.caf_id,
    )


def _fresh(pk: int) -> ModificationRequest:
    return ModificationRequest.objects.select_related(
        "cof",
        "cof__ctg",
        "cof__ctg__caf",
        "cof__collectivite",
        "architecture",
        "demandeur",
        "decidee_par",
    ).get(pk=pk)


def _stale_message(current: ModificationRequest, allowed: tuple[str, ...] = ()) -> str:
    """Why an action prepared on an older state of the request was not recorded."""
    if current.is_decided:
        who = f" par {current.decidee_par}" if current.decidee_par else ""
        when = (
            f" le {timezone.localtime(current.decidee_le):%d/%m/%Y à %H:%M}"
            if current.decidee_le
            else ""
        )
        return (
            f"Cette demande a déjà été {current.get_statut_display()}{who}{when} : "
            "votre action n'a pas été enregistrée."
        )
    if current.statut in allowed:  # same status, newer revision
        return (
            "La demande a changé depuis que vous l'avez ouverte : relisez-la, puis recommencez. "
            "Votre action n'a pas été enregistrée."
        )
    if current.statut == ModificationRequest.Status.A_MODIFIER:
        return (
            "Cette demande vient d'être renvoyée à la collectivité pour modification : "
            "votre action n'a pas été enregistrée."
        )
    if current.statut == ModificationRequest.Status.SOUMISE:
        return (
            "Cette demande est soumise à la Caf : elle ne peut plus être modifiée tant que la "
            "Caf ne l'a pas renvoyée. Votre action n'a pas été enregistrée."
        )
    return "Cette demande n'est pas soumise : votre action n'a pas été enregistrée."


def _claim(
    demande: ModificationRequest,
    allowed: tuple[str, ...],
    revision: int | None,
    **changes: Any,
) -> tuple[ModificationRequest, ModificationRequest]:
    """Move the request with one conditional UPDATE on (status, revision); return the request
    before and after. Raises :class:`StaleRequestError` if it is no longer as the caller saw
    it."""
    expected = demande.revision if revision is None else revision
    before = _fresh(demande.pk)
    if before.statut not in allowed or before.revision != expected:
        raise StaleRequestError(_stale_message(before, allowed))
    with versions.writing_for(row=before):
        updated = ModificationRequest.objects.filter(
            pk=demande.pk, statut__in=allowed, revision=expected
        ).update(revision=F("revision") + 1, **changes)
    if updated != 1:  # someone else changed it between our read and our UPDATE
        raise StaleRequestError(_stale_message(_fresh(demande.pk), allowed))
    return before, _fresh(demande.pk)


def caf_reviewers(collectivite: LocalAuthority) -> QuerySet[User]:
    """Who the Caf side is for a collectivité: the advisors assigned to it (membership), the
    team members following it (with an account) and the Caf's administrators."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(
                memberships__role=Role.CAF_ADVISOR.value,
                memberships__collectivite=collectivite,
            )
            | Q(memberships__role=Role.CAF_ADMIN.value, memberships__caf_id=collectivite.caf_id)
            | Q(fiche_equipe__suivis__collectivite=collectivite)
        )
        .distinct()
        .order_by("pk")
    )


def collectivite_editors(collectivite: LocalAuthority) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True,
            memberships__role=Role.COLLECTIVITE_EDITOR.value,
            memberships__collectivite=collectivite,
        )
        .distinct()
        .order_by("pk")
    )


def _collectivite_side(demande: ModificationRequest) -> list[User]:
    users = list(collectivite_editors(demande.cof.collectivite))
    if demande.demandeur is not None:
        users.append(demande.demandeur)
    return users


def latest_version(cof: FundingAgreement) -> AgreementVersion | None:
    """The last signed version: the one an avenant follows (in force until it takes effect)."""
    versions = signed_versions(cof)
    return versions[-1] if versions else None


def version_rows(version: AgreementVersion) -> list[PersonRow]:
    return stored_rows(load_architecture(version.architecture_id))


def _blocking(result: FundingResult) -> list[str]:
    return [a.message for a in result.anomalies if a.severity is Severity.BLOCKING]


# --- The Cof -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CofInput:
    date_debut: dt.date
    date_fin: dt.date
    date_signature: dt.date | None = None
    signataires: str = ""
    numero: str | None = None
    #: Who signs for each party (the Caf, the collectivité); the date of signature of the
    #: initial Cof is the last party's.
    signatures: tuple[SignatoryInput, ...] = ()


def _signature_date(cof_or_none: Any, signatures: Any, fallback: dt.date | None) -> dt.date:
    if signatures:
        try:
            return check_signatories(cof_or_none, list(signatures), today=today())
        except SignatureError as error:
            raise WorkflowError(str(error), error.field) from error
    if fallback is None:
        raise WorkflowError("Enregistrez la signature : signataires, fonctions et dates.")
    if fallback > today():
        raise WorkflowError(
            "La date de signature ne peut être dans le futur : enregistrez la signature une "
            "fois le document signé.",
            "date_signature",
        )
    return fallback


@transaction.atomic
def do_create_cof(user: Any, architecture: FundingArchitecture, data: CofInput) -> FundingAgreement:
    """Create the Cof of a collectivité from its working architecture and sign the initial
    version (n°0, effective from the Cof's start); its PDF is produced after commit."""
    collectivite, ctg = architecture.collectivite, architecture.ctg
    _require(
        access.can_create_cof(user, collectivite),
        "Seuls l'administrateur·rice de la Caf et le·la conseiller·ère de la collectivité "
        "signent une Cof.",
    )
    _require(
        architecture.kind == FundingArchitecture.Kind.TRAVAIL,
        "Une Cof se crée à partir de l'architecture de travail de la collectivité.",
    )
    if data.date_fin <= data.date_debut:
        raise WorkflowError("La fin de la Cof doit suivre son début.", "date_fin")
    if data.date_debut < ctg.date_debut or data.date_fin > ctg.date_fin:
        raise WorkflowError(
            f"La Cof doit tenir dans la période de la Ctg ({format_date(ctg.date_debut)} – "
            f"{format_date(ctg.date_fin)}).",
            "date_debut" if data.date_debut < ctg.date_debut else "date_fin",
        )
    numero = (data.numero or "").strip() or None
    if numero and (problem := cof_number_error(numero)):
        raise WorkflowError(f"Numéro de Cof non valide : {problem}.", "numero")
    if numero and FundingAgreement.objects.filter(numero=numero).exists():
        raise WorkflowError(f"Le numéro de Cof « {numero} » est déjà pris.", "numero")
    # A projet Cof counts too here: the Caf signs one Cof for a period, not two drafts.
    # The database keeps the rule for the signed ones, even between two sessions at once.
    overlapping = overlapping_cof(
        collectivite.pk, data.date_debut, data.date_fin, signed_only=False
    )
    if overlapping is not None:
        raise WorkflowError(_sentence(overlap_message(overlapping)), "date_debut")
    rows = stored_rows(architecture)
    if not rows:
        raise WorkflowError("L'architecture de travail ne compte aucune personne financée.")
    parties_of = FundingAgreement(ctg=ctg, collectivite=collectivite)
    date_signature = _signature_date(parties_of, data.signatures, data.date_signature)
    try:
        result = compute(
            to_engine(
                data.date_debut,
                rows,
                base_montant=architecture.base_cej_montant,
                base_etp=architecture.base_cej_etp,
                ctg_themes=ctg.themes,
                collectivite=collectivite.nom,
            ),
            ctg.caf.code,
        )
    except ParameterError as error:
        raise WorkflowError(str(error), "date_debut") from error
    if blocking := _blocking(result):
        raise WorkflowError(
            "L'architecture de travail n'est pas finançable (anomalie bloquante : "
            f"{blocking[0]}) : corrigez-la avant de signer la Cof."
        )
    try:
        cof = create_cof(
            user,
            ctg=ctg,
            collectivite=collectivite,
            debut=data.date_debut,
            fin=data.date_fin,
            numero=numero,
            signataires=data.signataires.strip(),
        )
        sign_version(
            user,
            cof,
            VersionInput(
                date_effet=data.date_debut,
                rows=rows,
                base_montant=architecture.base_cej_montant,
                base_etp=architecture.base_cej_etp,
                motif="Cof initiale",
            ),
            date_signature=date_signature,
            signatures=list(data.signatures) or None,
        )
    except WorkflowError:
        raise
    except AgreementError as error:
        field = {OverlappingCofError: "date_debut", InvalidCofNumberError: "numero"}.get(
            type(error)
        )
        raise WorkflowError(_sentence(str(error)), field) from error
    cof.refresh_from_db()
    return cof


# --- Requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalInput:
    """What the collectivité proposes: a motive and an architecture from a date."""

    motif: str
    date_effet: dt.date
    rows: list[PersonRow]
    base_montant: Decimal | None = None
    base_etp: Decimal | None = None


def check_proposal(cof: FundingAgreement, data: ProposalInput) -> None:
    """The rules of a proposal, whatever its status; raises :class:`WorkflowError`."""
    if not data.motif.strip():
        raise WorkflowError("Indiquez le motif de la demande.", "motif")
    if len(data.motif) > MOTIF_MAX:
        raise WorkflowError(f"Le motif ne peut dépasser {MOTIF_MAX} caractères.", "motif")
    if not data.rows:
        raise WorkflowError("Ajoutez au moins une personne financée.")
    if not cof.date_debut <= data.date_effet <= cof.date_fin:
        raise WorkflowError(
            f"La date d'effet doit tomber dans la période de la Cof "
            f"({format_date(cof.date_debut)} – {format_date(cof.date_fin)}).",
            "date_effet",
        )
    latest = latest_version(cof)
    if latest is None:
        raise WorkflowError("La Cof n'a pas encore de version signée à modifier.")
    if data.date_effet <= latest.date_effet:
        raise WorkflowError(
            f"La date d'effet doit suivre celle de la version en vigueur ({latest.label}, "
            f"depuis le {format_date(latest.date_effet)}).",
            "date_effet",
        )
    try:
        compute(
            to_engine(
                data.date_effet,
                data.rows,
                base_montant=data.base_montant,
                base_etp=data.base_etp,
                ctg_themes=cof.ctg.themes,
            ),
            cof.ctg.caf.code,
        )
    except ParameterError as error:
        raise WorkflowError(str(error), "date_effet") from error


def initial_proposal(cof: FundingAgreement) -> tuple[list[PersonRow], FundingArchitecture | None]:
    """A new request starts from the version in force (its persons and Cej base)."""
    latest = latest_version(cof)
    if latest is None:
        return [], None
    architecture = load_architecture(latest.architecture_id)
    return stored_rows(architecture), architecture


@transaction.atomic
def do_create_request(user: Any, cof: FundingAgreement, data: ProposalInput) -> ModificationRequest:
    """A draft request (« brouillon »): the collectivité may change it until it submits it."""
    _require(
        access.can_propose(user, cof),
        "Seuls les éditeurs de la collectivité proposent une modification de la Cof.",
    )
    cof = (
        FundingAgreement.objects.select_for_update(of=("self",))
        .select_related("ctg__caf")
        .get(pk=cof.pk)
    )
    check_proposal(cof, data)
    architecture = save_cof_architecture(user, cof, FundingArchitecture.Kind.DEMANDE, data)
    try:
        with transaction.atomic():
            demande = ModificationRequest.objects.create(
                cof=cof,
                architecture=architecture,
                motif=data.motif.strip(),
                demandeur=actor(user),
            )
    except IntegrityError as error:
        raise WorkflowError(
            "Une demande de modification est déjà en cours pour cette Cof : complétez-la."
        ) from error
    _record_request(user, _fresh(demande.pk), None)
    return demande


@transaction.atomic
def do_update_request(
    user: Any, demande: ModificationRequest, data: ProposalInput, *, revision: int | None = None
) -> ModificationRequest:
    """Change the proposal (« brouillon » or « à modifier »)."""
    _require(access.can_propose(user, demande.cof), "Vous ne pouvez pas modifier cette demande.")
    check_proposal(demande.cof, data)
    before, after = _claim(
        demande, ModificationRequest.EDITABLE, revision, motif=data.motif.strip()
    )
    architecture = after.architecture
    architecture.date_effet = data.date_effet
    architecture.base_cej_montant = data.base_montant
    architecture.base_cej_etp = data.base_etp
    save_architecture(user, architecture, data.rows)  # its own history row, with the figures
    after = _fresh(demande.pk)
    _record_request(user, after, request_snapshot(before))
    return after


@transaction.atomic
def do_submit_request(
    user: Any, demande: ModificationRequest, *, revision: int | None = None
) -> ModificationRequest:
    """Send the request to the Caf; its advisors and administrators are notified."""
    _require(access.can_propose(user, demande.cof), "Vous ne pouvez pas soumettre cette demande.")
    current = _fresh(demande.pk)
    check_proposal(
        current.cof,
        ProposalInput(
            motif=current.motif,
            date_effet=current.architecture.date_effet,
            rows=stored_rows(load_architecture(current.architecture_id)),
            base_montant=current.architecture.base_cej_montant,
            base_etp=current.architecture.base_cej_etp,
        ),
    )
    before, after = _claim(
        demande,
        ModificationRequest.EDITABLE,
        revision,
        statut=ModificationRequest.Status.SOUMISE,
        soumise_le=timezone.now(),
    )
    _record_request(user, after, request_snapshot(before))
    cof = after.cof
    resubmitted = before.statut == ModificationRequest.Status.A_MODIFIER
    notify(
        others(caf_reviewers(cof.collectivite), user),
        f"Demande de modification {'soumise à nouveau' if resubmitted else 'soumise'} — "
        f"{cof.collectivite.nom}",
        f"{actor_name(user)} a {'soumis à nouveau' if resubmitted else 'soumis'} une demande de "
        f"modification de la Cof n° {cof.numero}, à compter du "
        f"{format_date(after.architecture.date_effet)}.\n\nMotif : {after.motif}",
        request_link(after),
    )
    return after


@transaction.atomic
def do_comment(user: Any, demande: ModificationRequest, texte: str) -> RequestComment:
    """A message in the exchange; the other side is notified."""
    cof = demande.cof
    _require(access.can_comment(user, cof), "Vous ne pouvez pas commenter cette demande.")
    texte = texte.strip()
    if not texte:
        raise WorkflowError("Écrivez votre commentaire.", "texte")
    if len(texte) > MOTIF_MAX:
        raise WorkflowError(f"Au plus {MOTIF_MAX} caractères.", "texte")
    current = ModificationRequest.objects.select_for_update().get(pk=demande.pk)
    if current.statut not in (
        ModificationRequest.Status.SOUMISE,
        ModificationRequest.Status.A_MODIFIER,
    ):
        raise StaleRequestError(
            "Les échanges sont ouverts quand la demande est soumise à la Caf (ou à modifier)."
            if current.statut == ModificationRequest.Status.BROUILLON
            else _stale_message(_fresh(demande.pk))
        )
    caf_side = access.can_review(user, cof)
    comment = RequestComment.objects.create(
        demande=current,
        auteur=actor(user),
        auteur_nom=actor_name(user),
        cote=RequestComment.Side.CAF if caf_side else RequestComment.Side.COLLECTIVITE,
        texte=texte,
    )
    record_change(
        user,
        comment,
        AuditEntry.Action.CREATION,
        before=None,
        after=snapshot(comment, COMMENT_FIELDS),
        caf_id=cof.collectivite.caf_id,
    )
    fresh = _fresh(demande.pk)
    recipients = _collectivite_side(fresh) if caf_side else list(caf_reviewers(cof.collectivite))
    notify(
        others(recipients, user),
        f"Nouveau commentaire — demande de modification de la Cof n° {cof.numero}",
        f"{actor_name(user)} : {texte}",
        request_link(fresh),
    )
    return comment


@transaction.atomic
def do_request_changes(
    user: Any, demande: ModificationRequest, texte: str, *, revision: int | None = None
) -> ModificationRequest:
    """The Caf sends the request back to the collectivité (« à modifier ») with what to change."""
    cof = demande.cof
    _require(
        access.can_review(user, cof),
        "Seuls l'administrateur·rice de la Caf et le·la conseiller·ère de la collectivité "
        "demandent des modifications.",
    )
    texte = texte.strip()
    if not texte:
        raise WorkflowError("Dites à la collectivité ce qu'elle doit modifier.", "texte")
    if len(texte) > MOTIF_MAX:
        raise WorkflowError(f"Au plus {MOTIF_MAX} caractères.", "texte")
    before, after = _claim(
        demande,
        (ModificationRequest.Status.SOUMISE,),
        revision,
        statut=ModificationRequest.Status.A_MODIFIER,
    )
    comment = RequestComment.objects.create(
        demande=after,
        auteur=actor(user),
        auteur_nom=actor_name(user),
        cote=RequestComment.Side.CAF,
        nature=RequestComment.Kind.MODIFICATIONS,
        texte=texte,
    )
    record_change(
        user,
        comment,
        AuditEntry.Action.CREATION,
        before=None,
        after=snapshot(comment, COMMENT_FIELDS),
        caf_id=cof.collectivite.caf_id,
    )
    _record_request(user, after, request_snapshot(before))
    notify(
        others(_collectivite_side(after), user),
        f"Modifications demandées — Cof n° {cof.numero}",
        f"{actor_name(user)} demande des modifications avant de décider :\n\n{texte}",
        request_link(after),
    )
    return after


def request_comparison(
    demande: ModificationRequest,
) -> tuple[Comparison, FundingResult, AgreementVersion | None]:
    """The proposal against the version in force (its frozen ventilation); raises
    :class:`~coopctg.core.params.ParameterError` when the proposal cannot be computed."""
    architecture = load_architecture(demande.architecture_id)
    rows = stored_rows(architecture)
    result = compute_architecture(architecture)
    latest = latest_version(demande.cof)
    before_rows = version_rows(latest) if latest else []
    before = latest.ventilation if latest else None
    return compare(before_rows, before, rows, result), result, latest


@transaction.atomic
def do_decide(
    user: Any,
    demande: ModificationRequest,
    *,
    accept: bool,
    motif: str,
    accord_prealable: bool = False,
    revision: int | None = None,
    signatures: list[SignatoryInput] | None = None,
) -> ModificationRequest:
    """Accept (sign the avenant, effective from the requested date) or refuse, with a reason.

    Accepting records the avenant's signature: ``signatures``, who signed for each party, in
    which capacity and when (never in the future; the avenant's date of signature is the last
    party's, distinct from its effective date). The comparison the decider saw (the proposal
    against the version then in force) is frozen on the request, accepted or refused.

    A development (more total Etp than the version in force) is accepted only with the Caf's
    prior agreement (``accord_prealable``), recorded with who and when. Exactly one decision is
    recorded, even when two advisors decide at once (see the module's docstring).
    """
    cof = demande.cof
    _require(
        access.can_review(user, cof),
        "Seuls l'administrateur·rice de la Caf et le·la conseiller·ère de la collectivité "
        "décident d'une demande.",
    )
    motif = motif.strip()
    if not motif:
        raise WorkflowError(
            "Motivez la décision : ce motif est communiqué à la collectivité.", "motif"
        )
    if len(motif) > MOTIF_MAX:
        raise WorkflowError(f"Au plus {MOTIF_MAX} caractères.", "motif")
    current = _fresh(demande.pk)
    expected = demande.revision if revision is None else revision
    if current.statut != ModificationRequest.Status.SOUMISE or current.revision != expected:
        raise StaleRequestError(_stale_message(current, (ModificationRequest.Status.SOUMISE,)))
    now = timezone.now()
    changes: dict[str, Any] = {
        "statut": ModificationRequest.Status.ACCEPTEE
        if accept
        else ModificationRequest.Status.REFUSEE,
        "decision_motif": motif,
        "decidee_par": actor(user),
        "decidee_le": now,
    }
    frozen: Comparison | None = None
    if accept:
        date_signature = _signature_date(current.cof, signatures, None)
        try:
            comparison, result, latest = request_comparison(current)
        except ParameterError as error:
            raise WorkflowError(f"La proposition ne peut être calculée : {error}") from error
        frozen = comparison
        if blocking := _blocking(result):
            raise WorkflowError(
                f"La proposition n'est pas finançable (anomalie bloquante : {blocking[0]}) : "
                "demandez des modifications à la collectivité, ou refusez."
            )
        if comparison.is_development and not accord_prealable:
            raise WorkflowError(
                f"Cette demande est un développement ({format_etp(comparison.etp.before)} → "
                f"{format_etp(comparison.etp.after)}) : elle ne peut être acceptée sans "
                "l'accord préalable de la Caf. Cochez « accord préalable de la Caf » pour "
                "l'enregistrer, ou refusez.",
                "accord_prealable",
            )
        if accord_prealable:
            changes |= {
                "accord_prealable": True,
                "accord_prealable_par": actor(user),
                "accord_prealable_le": now,
            }
    else:
        try:
            frozen, _, latest = request_comparison(current)
        except ParameterError:  # kept as not computable: the page says so
            frozen, latest = None, latest_version(current.cof)
    if frozen is not None:
        changes |= {
            "difference_decidee": comparison_to_json(frozen),
            "difference_depuis": latest.label if latest else "",
        }
    before, _ = _claim(current, (ModificationRequest.Status.SOUMISE,), expected, **changes)
    if accept:
        architecture = load_architecture(before.architecture_id)
        try:
            version = sign_version(
                user,
                before.cof,
                VersionInput(
                    date_effet=architecture.date_effet,
                    rows=stored_rows(architecture),
                    base_montant=architecture.base_cej_montant,
                    base_etp=architecture.base_cej_etp,
                    motif=before.motif,
                ),
                date_signature=date_signature,
                signatures=list(signatures or []),
            )
        except AgreementError as error:  # the whole decision is rolled back
            raise WorkflowError(_sentence(str(error))) from error
        with versions.writing_for(row=before):
            ModificationRequest.objects.filter(pk=before.pk).update(avenant=version)
    after = _fresh(demande.pk)
    _record_request(user, after, request_snapshot(before))
    if accept:
        title = f"Demande de modification acceptée — Cof n° {cof.numero}"
        message = (
            f"{actor_name(user)} a accepté la demande : {after.avenant.label} "  # type: ignore[union-attr]
            f"en vigueur à compter du {format_date(after.architecture.date_effet)}.\n\n"
            f"Motif : {motif}"
        )
    else:
        title = f"Demande de modification refusée — Cof n° {cof.numero}"
        message = f"{actor_name(user)} a refusé la demande.\n\nMotif : {motif}"
    notify(others(_collectivite_side(after), user), title, message, request_link(after))
    return after
