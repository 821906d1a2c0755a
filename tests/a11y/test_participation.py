"""Mission 4 in the browser (Debian's chromium driven by Playwright):

- a visitor without an account, in a fresh (private) browser context, answers a published
  questionnaire: a refused answer shows its error next to the question, nothing stored; a
  valid one lands on the thanks page; the results page of the editor then counts it;
- axe-core on the public pages (questionnaire form, its errors, thanks, public page of a Ctg)
  and on the pages of mission 4 for an editor: zero violation. (The pages of the permission
  table are also checked for every role by tests/a11y/test_axe.py.)
"""

import pytest
from django.test import Client
from django.urls import reverse

from coopctg.participation.models import PublicPage, Submission
from tests.a11y.test_axe import describe
from tests.participation.helpers import (
    add_consultation,
    add_participation,
    add_questionnaire,
    add_support,
    add_watch_note,
    answer,
)


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def test_anonymous_visitor_answers_the_questionnaire(
    transactional_db, live_server, browser, axe, touraine
):
    consultation = add_consultation(touraine.ctg_own)
    questionnaire = add_questionnaire(consultation)
    PublicPage.objects.create(ctg=touraine.ctg_own, active=True)
    add_support(
        touraine.ctg_own,
        type="evenement",
        titre="Forum des familles",
        date="2099-06-01",
        annonce_publique=True,
    )
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")  # no cookie at all
    page = context.new_page()
    failures = []
    try:
        page.goto(reverse("public:answer", args=[questionnaire.jeton]))
        failures += [f"formulaire — {describe(v)}" for v in axe.run(page).response["violations"]]
        # The required question left blank: refused, the error next to it, nothing stored.
        page.get_by_label("Mercredi").check()
        page.get_by_role("button", name="Envoyer mes réponses").click()
        assert page.get_by_text("Cette question demande une réponse.").is_visible()
        assert Submission.objects.count() == 0
        failures += [f"erreurs — {describe(v)}" for v in axe.run(page).response["violations"]]
        page.get_by_label("Assistante maternelle").check()
        page.get_by_label("4", exact=True).check()
        page.get_by_label("4. Une remarque").fill("Un relais le samedi matin.")
        page.get_by_role("button", name="Envoyer mes réponses").click()
        page.wait_for_url(f"**{reverse('public:thanks', args=[questionnaire.jeton])}")
        assert page.get_by_role("heading", name="Merci pour votre participation").is_visible()
        failures += [f"merci — {describe(v)}" for v in axe.run(page).response["violations"]]
        page.goto(reverse("public:ctg", args=[touraine.ctg_own.pk]))
        assert page.get_by_text("Forum des familles").is_visible()
        failures += [f"page publique — {describe(v)}" for v in axe.run(page).response["violations"]]
    finally:
        context.close()
    stored = Submission.objects.get().reponses
    assert "Assistante maternelle" in stored.values() and ["Mercredi"] in stored.values()
    assert not failures, "\n".join(failures)


def test_no_axe_violation_on_the_pages_of_mission_4(
    transactional_db, live_server, browser, axe, touraine
):
    ctg = touraine.ctg_own
    consultation = add_consultation(ctg)
    add_participation(consultation)
    questionnaire = add_questionnaire(consultation)
    for mode in ("Crèche", "Aucun", "Crèche"):
        answer(questionnaire, mode=mode, text="Plus de places")
    add_support(ctg, falc=True, langues="anglais", portee=300)
    add_watch_note(ctg)
    urls = [
        reverse("participation:ctg", args=[ctg.pk]),
        reverse("participation:consultation", args=[consultation.pk]),
        reverse("participation:consultation_edit", args=[consultation.pk]),
        reverse("participation:participants", args=[consultation.pk]),
        reverse("participation:questionnaire", args=[questionnaire.pk]),
        reverse("participation:results", args=[questionnaire.pk]),
        reverse("participation:answers_import", args=[questionnaire.pk]),
        reverse("participation:supports", args=[ctg.pk]),
        reverse("participation:support_create", args=[ctg.pk]),
        reverse("participation:watch", args=[ctg.pk]),
        reverse("participation:watch_create", args=[ctg.pk]),
        reverse("participation:public_settings", args=[ctg.pk]),
        reverse("participation:questionnaire_create", args=[consultation.pk]),
    ]
    client = Client()
    client.force_login(touraine.editor)
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    failures = []
    try:
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            failures += [f"{url} — {describe(v)}" for v in axe.run(page).response["violations"]]
        # A draft's builder, with its « add a question » form.
        draft = add_questionnaire(consultation, statut="brouillon")
        page.goto(reverse("participation:questionnaire", args=[draft.pk]))
        failures += [f"brouillon — {describe(v)}" for v in axe.run(page).response["violations"]]
    finally:
        context.close()
    assert not failures, f"{len(failures)} violation(s) axe :\n" + "\n".join(failures)
