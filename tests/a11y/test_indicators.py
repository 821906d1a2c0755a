"""The fiche diagnostic with its map, in chromium: no axe violation, fits a phone."""

from django.test import Client
from django.urls import reverse

from coopctg.indicators.importer import import_file
from coopctg.territories.models import Commune
from tests.a11y.test_axe import describe
from tests.a11y.test_phone import MIN_TEXT_PX, PHONE, SIDEWAYS, TEXT_SIZES
from tests.factories import CommuneFactory
from tests.indicators.conftest import DEP_FILE, EPCI_FILE, NAT_FILE

#: The elements wider than the window, outside a scrolling table (the culprits, if any).
WIDE = """() => Array.from(document.querySelectorAll('main *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth && !e.closest('.table-wrap'))
  .map(e => e.tagName + '.' + e.className).slice(0, 8)"""


def square(x, y, size=0.05):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_fiche_with_its_map(transactional_db, live_server, browser, touraine):
    from axe_playwright_python.sync_playwright import Axe

    Commune.objects.filter(code_insee="37123").update(geometrie=square(0.5, 47.5))
    for index in range(5):
        CommuneFactory(
            code_insee=f"3790{index}",
            departement=touraine.dep,
            epci=touraine.epci_own,
            population_municipale=300 + 400 * index,
            geometrie=square(0.55 + 0.05 * index, 47.5),
        )
    import_file("txcouv_pe_epci.csv", EPCI_FILE.encode(), demonstration=True)
    import_file("txcouv_pe_dep.csv", DEP_FILE.encode())
    import_file("txcouv_pe_nat.json", NAT_FILE.encode())
    client = Client()
    client.force_login(touraine.editor)
    url = reverse("indicators:fiche", args=[touraine.own.pk])
    failures = []
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=viewport)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        try:
            page.goto(url)
            assert page.locator("figure.ind-map svg path").count() == 6
            result = Axe().run(page)
            failures += [
                f"{viewport['width']} px — {describe(v)}" for v in result.response["violations"]
            ]
            if viewport is PHONE:
                wide = page.evaluate(WIDE)
                assert page.evaluate(SIDEWAYS) <= 0, f"la page défile sur le côté : {wide}"
                small = [t for t in page.evaluate(TEXT_SIZES) if t[1] < MIN_TEXT_PX]
                assert not small, small
        finally:
            context.close()
    assert not failures, "\n".join(failures)
