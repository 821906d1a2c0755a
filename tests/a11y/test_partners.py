"""The partner pages in chromium: no axe violation on the directory, a partner's page, the
Ctg's partner network (SVG graph and its table) and the linking forms."""

import datetime as dt

from django.test import Client
from django.urls import reverse

from coopctg.actionplan.models import Action
from coopctg.governance.models import Meeting
from coopctg.partners.models import ActionPartner, MeetingPartner, Network, Partner
from tests.a11y.test_axe import describe


def test_partner_pages(transactional_db, live_server, browser, touraine):
    from axe_playwright_python.sync_playwright import Axe

    w = touraine
    partners = [
        Partner.objects.create(
            caf=w.caf,
            identifiant=f"p{i}",
            nom=f"Partenaire numéro {i} au nom un peu long (fictif)",
            kind="association",
            themes=["parentalite"],
            date_maj=dt.date(2025, 1, 1),
        )
        for i in range(6)
    ]
    action = Action.objects.create(ctg=w.ctg_own, code="A01", titre="Cafés des parents")
    for i, partner in enumerate(partners):
        ActionPartner.objects.create(
            action=action, partner=partner, role="pilote" if i == 0 else "contributeur"
        )
    meeting = Meeting.objects.create(ctg=w.ctg_own, kind="reseau", date=dt.date(2024, 5, 2))
    MeetingPartner.objects.create(meeting=meeting, partner=partners[0], presence="present")
    Network.objects.create(caf=w.caf, nom="Réseau départemental", kind="departemental")
    client = Client()
    client.force_login(w.editor)
    urls = [
        reverse("partners:directory", args=[w.caf.code]),
        reverse("partners:detail", args=[partners[0].pk]),
        reverse("partners:ctg", args=[w.ctg_own.pk]),
        reverse("partners:action", args=[action.pk]),
        reverse("partners:meeting", args=[meeting.pk]),
        reverse("partners:create", args=[w.caf.code]),
        reverse("partners:membership_create", args=[w.ctg_own.pk]),
    ]
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    failures = []
    try:
        for url in urls:
            page.goto(url)
            result = Axe().run(page)
            failures += [f"{url} — {describe(v)}" for v in result.response["violations"]]
        page.goto(urls[2])
        assert page.locator("figure.partner-graph svg circle").count() == 6
    finally:
        context.close()
    assert not failures, "\n".join(failures)
