"""Who sees a recruitment and who may act on it. Every recruitment view goes through these.

- Seen by whoever sees its collectivité (:func:`~coopctg.accounts.access.visible_collectivites`);
  anyone else gets a 404.
- The collectivité's editor: create, edit, invite the Caf, move the stages, decide.
- The Caf administrator: everything.
- The advisor assigned to the collectivité: create and edit the post with the collectivité
  (« le contenu et l'organisation de la fonction de coopération doivent être arrêtés d'un commun
  accord »), invite a Caf colleague, give the Caf's opinion.
- Analysts and elected officials: read only.
"""

from django.db.models import Q, QuerySet

from coopctg.accounts.access import _get_or_404, scope_of
from coopctg.accounts.models import User
from coopctg.organisations.models import LocalAuthority
from coopctg.recruitment.models import Recruitment


def visible_recruitments(user: User) -> QuerySet[Recruitment]:
    scope = scope_of(user)
    return Recruitment.objects.filter(
        Q(collectivite__caf_id__in=scope.caf_wide_ids)
        | Q(collectivite_id__in=scope.collectivite_ids)
    )


def get_recruitment_for_user(user: User, pk: int) -> Recruitment:
    queryset = visible_recruitments(user).select_related(
        "collectivite__caf",
        "ctg",
        "referentiel",
        "personne_financee",
        "caf_invite",
        "caf_invite_par",
        "avis_par",
        "decision_par",
    )
    return _get_or_404(queryset, pk=pk)


def creatable_collectivites(user: User) -> QuerySet[LocalAuthority]:
    """Collectivités for which the user may open a recruitment."""
    scope = scope_of(user)
    return LocalAuthority.objects.filter(
        Q(caf_id__in=scope.caf_admin_ids) | Q(id__in=scope.advised_ids) | Q(id__in=scope.edited_ids)
    )


def _is_admin(user: User, collectivite_caf_id: int) -> bool:
    return collectivite_caf_id in scope_of(user).caf_admin_ids


def _is_editor(user: User, collectivite_id: int) -> bool:
    return collectivite_id in scope_of(user).edited_ids


def _is_advisor(user: User, collectivite_id: int) -> bool:
    return collectivite_id in scope_of(user).advised_ids


def _caf_id(recruitment: Recruitment) -> int:
    return recruitment.collectivite.caf_id


def can_edit(user: User, recruitment: Recruitment) -> bool:
    """Change the post (before the Caf's opinion is asked): editor, advisor, Caf admin."""
    return (
        _is_admin(user, _caf_id(recruitment))
        or _is_editor(user, recruitment.collectivite_id)
        or _is_advisor(user, recruitment.collectivite_id)
    )


def can_invite_caf(user: User, recruitment: Recruitment) -> bool:
    return can_edit(user, recruitment)


def can_move_stage(user: User, recruitment: Recruitment) -> bool:
    """The collectivité runs its recruitment: its editor, or the Caf admin."""
    return _is_admin(user, _caf_id(recruitment)) or _is_editor(user, recruitment.collectivite_id)


def can_decide(user: User, recruitment: Recruitment) -> bool:
    return can_move_stage(user, recruitment)


def can_give_opinion(user: User, recruitment: Recruitment) -> bool:
    """The Caf's opinion: its administrator, or the advisor assigned to the collectivité."""
    return _is_admin(user, _caf_id(recruitment)) or _is_advisor(user, recruitment.collectivite_id)
