"""On a phone (390 px wide): no page scrolls sideways, and the charts' text stays readable."""

import datetime as dt

from django.test import Client
from django.urls import reverse

from coopctg.actionplan.models import Action
from coopctg.framework.loader import load_framework
from coopctg.reports import workflow as reports
from tests.agreements.helpers import make_cof

PHONE = {"width": 390, "height": 844}


def _architecture(w) -> int:
    """The référentiel's example as the working architecture of ``own`` (a wide table)."""
    from coopctg.funding.models import FundingArchitecture
    from coopctg.funding.services import save_architecture
    from tests.factories import seed_rows

    architecture = FundingArchitecture(
        kind=FundingArchitecture.Kind.TRAVAIL,
        ctg=w.ctg_own,
        collectivite=w.own,
        date_effet=w.ctg_own.date_debut,
    )
    return save_architecture(w.admin, architecture, seed_rows()).pk


#: The smallest size, in CSS pixels, at which a chart's or a map's text may be drawn.
MIN_TEXT_PX = 10


def signed_in(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport=PHONE, is_mobile=True
    )
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"
#: The size on screen of every visible text of an SVG chart or map (not the hidden variant):
#: its font size in the SVG's units times the SVG's scale on the screen.
TEXT_SIZES = """() => Array.from(document.querySelectorAll('svg text, svg tspan'))
  .filter(e => e.getClientRects().length && e.textContent.trim())
  .map(e => [e.textContent.trim().slice(0, 30),
             parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a])"""


def test_pages_fit_a_phone(transactional_db, live_server, browser, touraine, monkeypatch):
    """…and axe finds nothing at that width either (a table that scrolls inside its frame
    must be reachable with the keyboard)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    monkeypatch.setattr(reports, "today", lambda: dt.date(2025, 2, 15))
    load_framework()
    ctg = touraine.ctg_own
    cof = make_cof(touraine.admin, ctg, touraine.own, "COF-37-2022-001")
    report = reports.do_create_report(touraine.editor, cof, 2024)
    action = Action.objects.create(
        ctg=ctg,
        code="A01",
        titre="Relais petite enfance intercommunal",
        themes=["petite_enfance"],
        statut="en_cours",
        avancement=40,
    )
    pages = {
        touraine.editor: [
            reverse("dashboards:collectivite", args=[touraine.own.pk]),
            reverse("actionplan:plan", args=[ctg.pk]),
            reverse("actionplan:action_create", args=[ctg.pk]),
            reverse("actionplan:action_edit", args=[action.pk]),
            reverse("reports:detail", args=[report.pk]),
            reverse("funding:simulator"),
            reverse("funding:architecture", args=[_architecture(touraine)]),
            reverse("deadlines:list"),
            reverse("home"),
        ],
        touraine.admin: [
            reverse("dashboards:caf", args=["37"]),
            reverse("territories:map"),
            reverse("reports:list"),
        ],
    }
    problems = []
    for user, urls in pages.items():
        context = signed_in(browser, live_server, user)
        page = context.new_page()
        try:
            for url in urls:
                page.goto(url)
                overflow = page.evaluate(SIDEWAYS)
                if overflow > 0:
                    problems.append(f"{url} : la page défile de {overflow} px sur le côté")
                small = [(t, h) for t, h in page.evaluate(TEXT_SIZES) if h < MIN_TEXT_PX]
                if small:
                    problems.append(f"{url} : texte de graphique trop petit {small[:3]}")
                problems += [
                    f"{url} : axe {v['id']} — {[n['target'] for n in v['nodes'][:2]]}"
                    for v in axe.run(page).response["violations"]
                ]
        finally:
            context.close()
    assert not problems, "\n".join(problems)
