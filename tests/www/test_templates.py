"""Template habits that a page test could only catch by chance."""

import re
from pathlib import Path

from django.template import Context, Template

TEMPLATES = Path(__file__).resolve().parents[2] / "coopctg" / "templates"
ID_OUTPUT = re.compile(r"\{\{\s*[\w.]+(?:\.pk|\.id|_id)\s*\}\}")


def test_ids_are_never_printed_with_a_thousand_separator():
    """USE_THOUSAND_SEPARATOR prints 3149 as « 3 149 »: an id printed so in a form value or an
    HTML id breaks the form once the database passes a thousand rows (seen on PostgreSQL,
    whose sequences are never rolled back). Ids go through ``|unlocalize``."""
    plain, unlocalized = (
        Template("{{ pk }}|{{ pk|unlocalize }}").render(Context({"pk": 3149})).split("|")
    )
    assert plain != "3149" and unlocalized == "3149"  # the reason for the rule below
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in ID_OUTPUT.finditer(path.read_text(encoding="utf-8"))
        if not match.group(0).replace(" ", "").endswith("auto_id}}")
    ]
    assert offenders == []
