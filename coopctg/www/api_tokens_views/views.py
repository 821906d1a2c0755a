"""« Jetons d'API »: each user lists, creates and revokes their own personal tokens.

The secret is shown once, in the answer to the creation (never stored: only its hash is);
another user's token is a 404.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coopctg.api.models import ApiToken
from coopctg.core.forms import CleanTextMixin


class TokenForm(CleanTextMixin, forms.Form):
    nom = forms.CharField(
        label="Nom du jeton",
        max_length=100,
        help_text="À quoi il sert, par exemple « tableur de suivi » : pour le reconnaître.",
    )


@never_cache  # the page shows a new token's secret once: never from a cache
def token_list(request: HttpRequest) -> HttpResponse:
    secret = ""
    created = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created, secret = ApiToken.create_for(request.user, form.cleaned_data["nom"].strip())
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoque_le", "-cree_le", "-id")
    return render(
        request,
        "api_tokens/list.html",
        {
            "form": form,
            "tokens": list(tokens),
            "created": created,
            "secret": secret,
            "docs_url": reverse("api:openapi-view"),
            "schema_url": reverse("api:openapi-json"),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404("Page introuvable.")
    if token.is_active:
        token.revoke()
        messages.success(request, f"Le jeton « {token.nom} » est révoqué : il ne sert plus.")
    return redirect(reverse("api_tokens:list"))
