"""Who sees a Cof, its versions and its requests, and who may act on them.

Built on :mod:`coopctg.accounts.access`; every agreements view goes through these helpers, and
the :mod:`~coopctg.agreements.workflow` functions check the same rules again.

- A Cof (its versions, its requests) is seen by whoever sees its collectivité; anyone else gets
  a 404.
- Create a Cof (and sign its initial version): the Caf administrator, or the advisor assigned
  to the collectivité.
- A request: the collectivité's editors create, edit and submit it; the Caf administrator and
  the assigned advisor comment, ask for changes and decide; both sides comment; analysts and
  elected officials read.
- The history of a Cof is the Caf's: Caf staff only.
"""

from django.db.models import Q, QuerySet

from coopctg.accounts.access import _get_or_404, scope_of
from coopctg.accounts.models import User
from coopctg.agreements.models import AgreementVersion, FundingAgreement, ModificationRequest
from coopctg.organisations.models import LocalAuthority


def _visible(user: User, prefix: str = "") -> Q:
    scope = scope_of(user)
    return Q(**{f"{prefix}collectivite__caf_id__in": scope.caf_wide_ids}) | Q(
        **{f"{prefix}collectivite_id__in": scope.collectivite_ids}
    )


def visible_cofs(user: User) -> QuerySet[FundingAgreement]:
    return FundingAgreement.objects.filter(_visible(user))


def get_cof_for_user(user: User, pk: int) -> FundingAgreement:
    queryset = visible_cofs(user).select_related("ctg", "ctg__caf", "collectivite__caf")
    return _get_or_404(queryset, pk=pk)


def visible_versions(user: User) -> QuerySet[AgreementVersion]:
    return AgreementVersion.objects.filter(_visible(user, "cof__"))


def get_version_for_user(user: User, pk: int) -> AgreementVersion:
    queryset = visible_versions(user).select_related(
        "cof", "cof__ctg", "cof__ctg__caf", "cof__collectivite", "signee_par"
    )
    return _get_or_404(queryset, pk=pk)


def visible_requests(user: User) -> QuerySet[ModificationRequest]:
    return ModificationRequest.objects.filter(_visible(user, "cof__"))


def get_request_for_user(user: User, pk: int) -> ModificationRequest:
    queryset = visible_requests(user).select_related(
        "cof",
        "cof__ctg",
        "cof__ctg__caf",
        "cof__collectivite",
        "architecture",
        "demandeur",
        "decidee_par",
        "accord_prealable_par",
        "avenant",
    )
    return _get_or_404(queryset, pk=pk)


# --- What a user may do ------------------------------------------------------------------


def is_caf_staff(user: User) -> bool:
    return scope_of(user).is_caf_staff


def can_create_cof(user: User, collectivite: LocalAuthority) -> bool:
    """The Cof is the Caf's to sign: its administrator, or the assigned advisor."""
    scope = scope_of(user)
    return collectivite.caf_id in scope.caf_admin_ids or collectivite.pk in scope.advised_ids


def can_propose(user: User, cof: FundingAgreement) -> bool:
    """Create, edit and submit a request: the collectivité's editors."""
    return cof.collectivite_id in scope_of(user).edited_ids


def can_review(user: User, cof: FundingAgreement) -> bool:
    """Ask for changes and decide: the Caf administrator, or the assigned advisor."""
    return can_create_cof(user, cof.collectivite)


def can_comment(user: User, cof: FundingAgreement) -> bool:
    return can_propose(user, cof) or can_review(user, cof)


def can_see_history(user: User) -> bool:
    return is_caf_staff(user)
