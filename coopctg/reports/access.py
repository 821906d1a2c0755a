"""Who sees a bilan annuel: whoever sees its Cof's collectivité; anyone else gets a 404."""

from django.db.models import Q, QuerySet

from coopctg.accounts.access import _get_or_404, scope_of
from coopctg.accounts.models import User
from coopctg.reports.models import AnnualReport


def visible_reports(user: User) -> QuerySet[AnnualReport]:
    scope = scope_of(user)
    return AnnualReport.objects.filter(
        Q(cof__collectivite__caf_id__in=scope.caf_wide_ids)
        | Q(cof__collectivite_id__in=scope.collectivite_ids)
    )


def get_report_for_user(user: User, pk: int) -> AnnualReport:
    queryset = visible_reports(user).select_related(
        "cof",
        "cof__ctg",
        "cof__ctg__caf",
        "cof__collectivite",
        "referentiel",
        "transmis_par",
        "valide_par",
    )
    return _get_or_404(queryset, pk=pk)
