"""The benchmark's machinery (``make bench``), on the small Touraine world of the tests: every
list page and API list is measured and listed in the table. No timing is asserted (a benchmark
is not a timed test)."""

import json

import pytest
from django.test import Client

from coopctg.accounts.roles import Role
from coopctg.bench import measure
from coopctg.bench.__main__ import main, render
from tests.factories import member
from tests.www.permission_rules import RULES

pytestmark = pytest.mark.django_db


def parameterless_pages():
    """The pages of the permission table (every URL of the application) built without any
    argument: lists, dashboards, indexes."""
    names = set()
    for name, cases in RULES.items():
        for _label, build, _expected in cases:
            try:
                if build(None) == {}:
                    names.add(name)
            except AttributeError:  # built from the world's objects: a page with a parameter
                pass
    return names


def test_every_list_page_and_api_list_is_benchmarked():
    pages = measure.list_pages()
    assert parameterless_pages() - set(pages) - measure.SKIPPED == set()
    for name in ("api:cofs", "api:ctgs", "api:collectivites", "api:bilans"):
        assert name in pages
    assert not any(name in pages for name in ("login", "logout", "health"))


def test_the_bench_measures_every_page_and_renders_the_table(touraine):
    national = member(Role.NATIONAL_ANALYST)
    people = [
        ("Admin Caf", touraine.admin),
        ("Éditeur collectivité", touraine.editor),
        ("Analyste national", national),
    ]
    # Every page for one person; the three people on one page (the test stays short).
    result = measure.measure_pages(people[:1], repeat=1)
    three = measure.measure_pages(people, repeat=1, pages=["ctg:list", "api:ctgs"])
    operations = measure.heavy_operations(
        touraine.admin, restore=False, pdfs=False, national=national
    )
    assert [row["page"] for row in result["pages"]] == measure.list_pages()
    for row in three["pages"]:
        for person, _user in people:
            assert row["mesures"][person]["statut"] == 200
            assert row["mesures"][person]["requetes"] > 0
            assert row["mesures"][person]["multiple"] is not None
            assert row["mesures"][person]["multiple_sante"] >= row["mesures"][person]["multiple"]
    labels = [operation["operation"] for operation in operations]
    assert "Financement annuel de la Caf (budget de l'année)" in labels
    assert "Sauvegarde (coopctg sauvegarder)" in labels
    afresh = [o for o in operations if o["operation"].startswith("Vue nationale recalculée")]
    assert afresh and afresh[0]["statut"] == 200
    assert all(operation["memoire_max_mo"] >= 0 for operation in operations)

    # The trivial signed-in view: the session and the user, nothing else; only in the bench.
    assert result["reference_connectee_ms"] > 0
    assert result["reference_connectee_requetes"] == 2
    assert Client().get("/__banc__/vide/").status_code == 404  # not an URL of the application
    table = render(
        [
            {"echelle": 1, "caf": 2, "ctg": 3, "cof": 0, **result, "operations": operations},
            {"echelle": 10, "caf": 2, "ctg": 3, "cof": 0, **three, "operations": []},
        ]
    )
    assert table.startswith("Échelle 1 : 2 Caf, 3 Ctg, 0 Cof — référence /sante/ : ")
    for row in result["pages"]:
        assert row["url"] in table
    assert "| /ctg/ " in table and "AC req." in table and "N ×" in table
    # The second reference: the signed-in layout alone (a static page), next to /sante/.
    assert result["reference_page_url"] == "/donnees-personnelles/"
    assert result["reference_page_requetes"] > 0
    assert "Page statique connectée /donnees-personnelles/ (AC) : " in table
    json.dumps([result, three, operations])  # --format json


def test_bad_arguments_one_french_line_exit_2(capsys):
    assert main(["--echelle", "0"]) == 2
    assert capsys.readouterr().err.startswith("Erreur : --echelle")


def test_each_scale_runs_with_production_settings(monkeypatch, capsys):
    """DEBUG off (no query log, cached templates), a throwaway secret key, plain HTTP for the
    test client: the numbers are those of production, not of the development server."""
    seen = {}

    def run(command, env, check):
        seen.update(env)
        output = command[command.index("--sortie") + 1]
        result = {"echelle": 1, "caf": 1, "ctg": 0, "cof": 0, "reference_ms": 1.0}
        result |= {"pages": [], "operations": []}
        with open(output, "w", encoding="utf-8") as file:
            json.dump(result, file)
        return type("Done", (), {"returncode": 0})()

    monkeypatch.setattr("coopctg.bench.__main__.subprocess.run", run)
    assert main(["--echelle", "1"]) == 0
    assert seen["DJANGO_DEBUG"] == "0"
    assert len(seen["DJANGO_SECRET_KEY"]) >= 50
    assert seen["DJANGO_SSL_REDIRECT"] == "0"
    assert "testserver" in seen["DJANGO_ALLOWED_HOSTS"]
    assert capsys.readouterr().out.startswith("Échelle 1 : 1 Caf")


def test_a_pdf_is_measured_from_the_request_to_the_file(touraine, settings, tmp_path):
    """Its production by the worker included, each time (not the 202 of a queued document,
    nor a file produced before)."""
    from django.urls import reverse

    from coopctg.background.models import GeneratedDocument
    from tests.agreements.helpers import build_agreements

    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    w = build_agreements(touraine)
    client = Client()
    client.force_login(touraine.admin)
    operation = measure.produced(
        client, reverse("agreements:version_pdf", kwargs={"pk": w.version_own_1.pk})
    )
    for _ in range(2):
        response = operation()
        assert response.status_code == 200
        assert b"".join(
            response.streaming_content if response.streaming else [response.content]
        ).startswith(b"%PDF")
        assert GeneratedDocument.objects.filter(status=GeneratedDocument.Status.PRET).count() == 1
