"""Measures: every list page and API list × three people, then the heavy operations.

The pages are derived from the URL configuration: every named URL without a parameter (a list,
a dashboard, an index) and every API operation without a parameter, but sign-in, sign-out and
OpenID Connect. Each is asked once to warm up, then :data:`REPEAT` times: number of queries,
median time, and that time as a multiple of a trivial view measured the same way in the same
process (what makes two machines comparable). Heavy operations: peak memory of the
Python heap (tracemalloc) and time.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

REPEAT = 5
BASELINE = "health"
#: The second reference: a static page in the signed-in layout (menu, session, user).
LAYOUT_BASELINE = "privacy"
#: Not pages to measure: sign-in and its providers, sign-out (POST), public account pages.
SKIPPED = {
    "login",
    "logout",
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "oidc_logout",
    "oidc_logged_out",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_complete",
    BASELINE,
}
#: The three people: (column title, user name).
PEOPLE = [
    ("Admin Caf", "admin.caf"),
    ("Éditeur collectivité", "editeur.gatine"),
    ("Analyste national", "banc.national"),
]


def _without_parameters(resolver: URLResolver, namespace: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if getattr(pattern.pattern, "converters", {}) or pattern.pattern.regex.groups:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _without_parameters(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            if getattr(pattern.pattern, "converters", {}) or pattern.pattern.regex.groups:
                continue
            yield f"{namespace}{pattern.name}"


def list_pages() -> list[str]:
    """URL names of every page and API list without a parameter, pages first, sorted."""
    names = sorted(set(_without_parameters(get_resolver())) - SKIPPED)
    return [n for n in names if not n.startswith("api:")] + [
        n for n in names if n.startswith("api:")
    ]


#: Query strings of the lists that need one (a required filter).
QUERIES = {
    "api:financement_annuel": "?annee={year}&taille={page}",
    # One Caf at a time for whoever sees several (the national analyst).
    "deadlines:calendar": "?caf=37",
}
#: The API lists are asked by pages of this size: full at both scales (scale 1 has 23 Ctg and
#: Cof, fewer than the default page of 50), so that the two scales compare the same page.
API_PAGE = 20


def query_of(name: str) -> str:
    """The query string the benchmark asks ``name`` with."""
    is_list = name.startswith("api:") and "openapi" not in name
    query = QUERIES.get(name, "?taille={page}" if is_list else "")
    return query.format(year=time.localtime().tm_year, page=API_PAGE)


def timed(client: Client, url: str, repeat: int) -> dict[str, Any]:
    """A redirection is followed (« /budget/ » leads to the current year's budget)."""
    response = client.get(url, follow=True)  # warm-up (templates, caches)
    connection.queries_log.clear()  # full (9 000) after the data were built: nothing captured
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, follow=True)
    count = len(queries)  # now: the next request empties the log it reads
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url, follow=True)
        times.append(time.perf_counter() - start)
    return {
        "statut": response.status_code,
        "requetes": count,
        "mediane_ms": round(statistics.median(times) * 1000, 2),
    }


def _ratio(value: float, reference: float | None) -> float | None:
    return round(value / reference, 1) if reference else None


def measure_pages(
    people: list[tuple[str, Any]], *, repeat: int = REPEAT, pages: list[str] | None = None
) -> dict[str, Any]:
    """{"reference_ms" (/sante/), "reference_connectee_ms" (the trivial signed-in view, for
    the first person), "reference_page_url", "reference_page_ms", "reference_page_requetes",
    "pages": [{"page", "url", "mesures": {person: {..., "multiple" (× the trivial signed-in
    view), "multiple_sante" (× /sante/)}}}]}."""
    # The application's URLs and the trivial signed-in view (coopctg/bench/urls.py).
    with override_settings(ROOT_URLCONF="coopctg.bench.urls"):
        return _measure_pages(people, repeat, pages)


def _measure_pages(
    people: list[tuple[str, Any]], repeat: int, pages: list[str] | None
) -> dict[str, Any]:
    from coopctg.bench.urls import TRIVIAL_URL

    baseline_client = Client()
    baseline = timed(baseline_client, reverse(BASELINE), max(repeat, 20))["mediane_ms"]
    rows = []
    clients = []
    for title, user in people:
        client = Client()
        client.force_login(user)
        clients.append((title, client))
    signed_in = timed(clients[0][1], TRIVIAL_URL, max(repeat, 20)) if clients else None
    reference = signed_in["mediane_ms"] if signed_in else baseline
    layout_url = reverse(LAYOUT_BASELINE)
    layout = timed(clients[0][1], layout_url, max(repeat, 20)) if clients else None
    for name in pages if pages is not None else list_pages():
        url = reverse(name) + query_of(name)
        measures = {}
        for title, client in clients:
            result = timed(client, url, repeat)
            result["multiple"] = _ratio(result["mediane_ms"], reference)
            result["multiple_sante"] = _ratio(result["mediane_ms"], baseline)
            measures[title] = result
        rows.append({"page": name, "url": url, "mesures": measures})
    return {
        "reference_ms": baseline,
        "reference_connectee_ms": signed_in["mediane_ms"] if signed_in else None,
        "reference_connectee_requetes": signed_in["requetes"] if signed_in else None,
        "reference_page_url": layout_url,
        "reference_page_ms": layout["mediane_ms"] if layout else None,
        "reference_page_requetes": layout["requetes"] if layout else None,
        "pages": rows,
    }


def peak(operation: Callable[[], Any], *, twice: bool = True) -> dict[str, Any]:
    """Peak memory (tracemalloc, Python heap) of ``operation``, then its time measured on a
    second run without tracemalloc (which slows Python down several times); that first run
    also warms up (fonts of the PDF…). ``twice=False``: one run, time taken under
    tracemalloc (an operation that cannot run twice, the restore)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = operation()
    finally:
        elapsed = time.perf_counter() - start
        _current, highest = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if twice:
        start = time.perf_counter()
        result = operation()
        elapsed = time.perf_counter() - start
    status = getattr(result, "status_code", None)
    return {
        "duree_ms": round(elapsed * 1000, 1),
        "memoire_max_mo": round(highest / 1_000_000, 1),
        "statut": status,
    }


def heavy_operations(
    admin: Any, *, restore: bool = True, pdfs: bool = True, national: Any = None
) -> list[dict[str, Any]]:
    """Annual funding (budget), payments, each kind of PDF, backup and restore; with
    ``national``, the national pages computed afresh (what a write in every Caf costs the
    next reader: the pages above read the figures kept per Caf, :mod:`coopctg.core.versions`)."""
    from coopctg.agreements.models import AgreementVersion
    from coopctg.core.backup import create_backup
    from coopctg.core.versions import forget_all
    from coopctg.ctg.models import Ctg
    from coopctg.diagnostic.models import Diagnostic
    from coopctg.funding.models import FundingArchitecture
    from coopctg.organisations.models import LocalAuthority
    from coopctg.recruitment.models import Recruitment
    from coopctg.reports.models import AnnualReport

    client = Client()
    client.force_login(admin)
    year = time.localtime().tm_year
    operations: list[tuple[str, Callable[[], Any]]] = [
        (
            "Financement annuel de la Caf (budget de l'année)",
            lambda: client.get(reverse("budget:annual", kwargs={"annee": year})),
        ),
        (
            "Financement annuel (XLSX)",
            lambda: client.get(reverse("budget:annual_xlsx", kwargs={"annee": year})),
        ),
        ("Versements de l'année (page)", lambda: client.get(reverse("payments:index"))),
        (
            "Versements de l'année (XLSX)",
            lambda: client.get(reverse("payments:xlsx", kwargs={"annee": year})),
        ),
    ]
    if national is not None:
        reader = Client()
        reader.force_login(national)

        def afresh(url: str) -> Callable[[], Any]:
            def operation() -> Any:
                forget_all()
                return reader.get(url, follow=True)

            return operation

        operations += [
            (
                "Vue nationale recalculée (toutes les Caf)",
                afresh(reverse("national:annual", kwargs={"annee": year})),
            ),
            ("Échéances de toutes les Caf recalculées", afresh(reverse("deadlines:list"))),
        ]
    documents = [
        ("PDF d'une version de Cof", "agreements:version_pdf", AgreementVersion),
        ("PDF d'une architecture", "funding:architecture_pdf", FundingArchitecture),
        ("PDF d'un bilan annuel", "reports:pdf", AnnualReport),
        ("PDF d'un diagnostic partagé", "diagnostic:version_pdf", Diagnostic),
        ("PDF d'une fiche de poste", "recruitment:job_pdf", Recruitment),
        ("PDF de la fiche diagnostic", "indicators:fiche_pdf", LocalAuthority),
    ]
    for label, name, model in documents if pdfs else []:
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            url = reverse(name, kwargs={"pk": obj.pk})
            operations.append((label, produced(client, url)))
    ctg = Ctg.objects.order_by("pk").first()
    if ctg is not None and pdfs:
        url = reverse("evaluation:pdf", kwargs={"ctg_pk": ctg.pk})
        operations.append(("PDF de l'évaluation d'une Ctg", produced(client, url)))
    results = []
    for label, operation in operations:
        results.append({"operation": label, **peak(operation)})
    folder = Path(tempfile.mkdtemp(prefix="coopctg-banc-"))
    try:
        archive = folder / "sauvegarde.zip"
        backup = peak(lambda: create_backup(archive, overwrite=True))
        results.append({"operation": "Sauvegarde (coopctg sauvegarder)", **backup})
        if restore:
            results.append(
                {"operation": "Restauration (coopctg restaurer)", **_restore(archive, folder)}
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def produced(client: Client, url: str) -> Callable[[], Any]:
    """A PDF from the first request to the file: the request that puts it in the queue, its
    production as the worker does it (:func:`coopctg.background.services.produce`), the
    request that serves it. What was produced before is forgotten first (the frozen PDF of a
    signed version too), so that each call produces it."""
    from coopctg.agreements.models import AgreementVersion
    from coopctg.background.models import GeneratedDocument
    from coopctg.background.services import produce

    def operation() -> Any:
        GeneratedDocument.objects.all().delete()
        AgreementVersion.objects.exclude(document="").update(document="")
        client.get(url)
        waiting = GeneratedDocument.objects.filter(status=GeneratedDocument.Status.ATTENTE)
        for pk in waiting.values_list("pk", flat=True):
            produce(pk)
        return client.get(url)

    return operation


def _restore(archive: Path, folder: Path) -> dict[str, Any]:
    """Restore into a new SQLite database, migrated first (not measured)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from coopctg.core.backup import restore_backup

    alias = "restauration"
    settings.DATABASES[alias] = {
        **settings.DATABASES["default"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(folder / "restauration.sqlite3"),
        "OPTIONS": {"timeout": 20},
        "TEST": {},
    }
    connections.settings = connections.configure_settings(settings.DATABASES)
    call_command("migrate", database=alias, verbosity=0)
    media = folder / "documents"
    media.mkdir()
    original = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = media
    try:
        return peak(lambda: restore_backup(archive, using=alias), twice=False)
    finally:
        settings.MEDIA_ROOT = original
        connections[alias].close()
