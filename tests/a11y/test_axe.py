"""axe-core on every page, for every role: zero violation.

The pages are those of the permission table (``tests/www/permission_rules``), each opened by
every role that may see it (status 200, HTML), on a live server, in Debian's chromium driven
by Playwright; plus the vendored API documentation. axe-core (the version bundled by
``axe-playwright-python``) runs with its default rules: WCAG 2.0, 2.1 and 2.2 A and AA, and
its best practices. A violation fails the test with the page, the rule and the elements.

A page whose content (the header aside, which each role's home page checks) is the same as
one already checked — the same form seen by the administrator and the advisor — is not
checked twice: axe gives the same answer on the same document.
"""

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.www.permission_rules import RULES, extend_world
from tests.www.permission_rules.common import ROLES

#: Pages outside the permission table, opened by a signed-in user of each role.
EXTRA = ["api:openapi-view"]


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


#: What changes between two renderings of the same page: the CSRF tokens, the header (its
#: navigation and user box depend on the role, checked on each role's home page).
VOLATILE = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r"<header class=\"site-header\".*?</header>", re.S),
]


def fingerprint(html: str) -> str:
    for pattern in VOLATILE:
        html = pattern.sub("", html)
    return hashlib.sha256(html.encode()).hexdigest()


def pages_of(world, role: str, seen: set[str]) -> list[str]:
    """Every HTML page ``role`` may open (status 200), each URL once, but those whose content
    was already checked (``seen``: fingerprints), the home page always."""
    client = Client()
    client.force_login(getattr(world, role))
    urls = []
    for name, cases in sorted(RULES.items()):
        for _label, build, expected in cases:
            if expected[role] != 200:
                continue
            urls.append(reverse(name, kwargs=build(world)))
    urls += [reverse(name) for name in EXTRA]
    found = [reverse("home")]
    for url in dict.fromkeys(urls):
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        key = fingerprint(response.content.decode())
        if key not in seen and url not in found:
            seen.add(key)
            found.append(url)
    return found


def describe(violation: dict) -> str:
    targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
    more = len(violation["nodes"]) - 3
    return f"{violation['id']} ({violation['impact']}) : {violation['help']} — {targets}" + (
        f" (+{more})" if more > 0 else ""
    )


def test_no_axe_violation_on_any_page(transactional_db, live_server, browser, axe, touraine):
    """Every role in turn, in one world: a page already checked for a role before is not
    checked again (same content), each role's home page (its header) always is."""
    world = extend_world(touraine)
    seen: set[str] = set()
    failures = []
    checked = 0
    for role in ROLES:
        urls = pages_of(world, role, seen)
        client = Client()
        client.force_login(getattr(world, role))
        context = browser.new_context(base_url=live_server.url, locale="fr-FR")
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
            for url in urls:
                response = page.goto(url)
                assert response is not None and response.status in (200, 302), url
                result = axe.run(page)
                checked += 1
                failures += [f"{role} {url} — {describe(v)}" for v in result.response["violations"]]
        finally:
            context.close()
    assert checked > 50
    assert not failures, f"{len(failures)} violation(s) axe :\n" + "\n".join(failures)


def test_anonymous_pages(live_server, browser, axe):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    page = context.new_page()
    failures = []
    try:
        for url in [reverse("login")]:
            page.goto(url)
            result = axe.run(page)
            failures += [f"{url} — {describe(v)}" for v in result.response["violations"]]
    finally:
        context.close()
    assert not failures, "\n".join(failures)
