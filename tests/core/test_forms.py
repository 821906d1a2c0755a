"""Text typed in the forms is cleaned of control characters before it is stored
(coopctg.core.forms), and every form of the project with a text field does so."""

from django import forms
from django.http import QueryDict
from django.urls import get_resolver, reverse

from coopctg.core.forms import CleanTextMixin
from tests.ctg.test_ctg_views import form_data


class ExampleForm(CleanTextMixin, forms.Form):
    titre = forms.CharField(max_length=20)
    description = forms.CharField(widget=forms.Textarea, required=False)
    nombre = forms.IntegerField(required=False)


def test_control_characters_are_cleaned_before_validation():
    form = ExampleForm(
        QueryDict(
            "titre=%3DTitre%0Bcoll%C3%A9%09ici%01&description=ligne+1%0Bligne+2%0D%0Aligne+3%0C"
            "&nombre=3"
        )
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "titre": "=Titre collé ici",  # one line: breaks and tabs become spaces
        "description": "ligne 1\nligne 2\r\nligne 3",  # stripped by Django at the end
        "nombre": 3,
    }
    assert form["titre"].value() == "=Titre collé ici"  # shown again cleaned


def test_a_prefixed_form_and_a_plain_dict_are_cleaned_too():
    form = ExampleForm({"p-titre": "a\x0bb", "p-description": "c\x1fd"}, prefix="p")
    assert form.is_valid()
    assert (form.cleaned_data["titre"], form.cleaned_data["description"]) == ("a b", "cd")


def test_nul_is_still_refused_by_django():
    form = ExampleForm({"titre": "a\x00b"})
    assert not form.is_valid()
    assert form.errors["titre"] == ["Le caractère nul n’est pas autorisé."]


def project_forms() -> list[type[forms.BaseForm]]:
    """Every form class of the project (its URLs import every view, hence every form)."""
    get_resolver().url_patterns  # noqa: B018 - imports every view module

    found: list[type[forms.BaseForm]] = []
    pending = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("coopctg.") and not cls.__module__.startswith(
            "coopctg.accounts"  # the accounts' forms (login, password…): outside this check
        ):
            found.append(cls)
    return found


def test_every_project_form_with_a_text_field_cleans_it():
    forms_with_text = [
        cls
        for cls in project_forms()
        if any(isinstance(f, forms.CharField) for f in getattr(cls, "base_fields", {}).values())
    ]
    assert len(forms_with_text) >= 15
    missing = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in forms_with_text
        if not issubclass(cls, CleanTextMixin)
    ]
    assert missing == []


def test_a_ctg_title_with_a_word_line_break_is_stored_clean(client, touraine):
    """Security probe (issue 10): « \\x0b » in a title reached the database, then every
    workbook of the Caf (500)."""
    client.force_login(touraine.advisor)
    data = form_data(touraine, intitule="Ctg\x0bGâtine\x01-Racan")
    response = client.post(reverse("ctg:edit", args=[touraine.ctg_own.pk]), data)
    assert response.status_code == 302
    touraine.ctg_own.refresh_from_db()
    assert touraine.ctg_own.intitule == "Ctg Gâtine-Racan"
