"""Template habits that a page test could only catch by chance."""

import re
from pathlib import Path

from django.template import Context, Template

TEMPLATES = Path(__file__).resolve().parents[2] / "coopctg" / "templates"
ID_OUTPUT = re.compile(r"\{\{\s*[\w.]+(?:\.pk|\.id|_id)\s*\}\}")


def render(text: str, **context) -> str:
    return Template("{% load fr %}" + text).render(Context(context))


def test_ids_and_years_are_never_printed_with_a_thousand_separator():
    """With Django's automatic grouping, 3149 printed « 3 149 » broke every form once the
    database passed a thousand rows (seen on PostgreSQL, whose sequences are never rolled
    back), and years read « bilan 2 025 ». Numbers are grouped only by the explicit filters."""
    assert render("{{ pk }} {{ year }}", pk=3149, year=2025) == "3149 2025"
    assert render("{{ n|nombre }}", n=12345) in {"12\u202f345", "12\u00a0345", "12 345"}


def test_ids_go_through_unlocalize_in_templates():
    """Defence in depth, should automatic grouping ever come back: ids are unlocalized."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in ID_OUTPUT.finditer(path.read_text(encoding="utf-8"))
        if not match.group(0).replace(" ", "").endswith("auto_id}}")
    ]
    assert offenders == []


def test_a_field_error_is_the_element_its_input_points_to():
    """Django's widgets say ``aria-describedby="… id_nom_error"``: the errors must carry that
    id (once), so that a screen reader reads them with the field."""
    from django import forms

    class Form(forms.Form):
        nom = forms.CharField(label="Nom du jeton", help_text="Pour le reconnaître.")

    form = Form({"nom": ""})
    form.is_valid()
    html = Template('{% include "components/field.html" %}').render(Context({"field": form["nom"]}))
    described = re.search(r'aria-describedby="([^"]+)"', html).group(1).split()
    assert described == ["id_nom_helptext", "id_nom_error"]
    for element_id in described:
        assert html.count(f'id="{element_id}"') == 1
