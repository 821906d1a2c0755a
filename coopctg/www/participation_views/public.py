"""The pages open without an account.

- A questionnaire's public link (``/q/<jeton>/``): the form, an RGPD notice, CSRF protection,
  a size limit per submission (413) and per text answer, at most N answers per hour from one
  address (429); a refused submission stores nothing and shows each error next to its
  question (400). A draft or unknown link is a 404; a closed questionnaire says so (410 to a
  submission).
- The public page of a Ctg (``/public/ctg/<id>/``), only once its collectivité opened it
  (404 otherwise): the plan's progress by theme and the upcoming public events, nothing else.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from coopctg.accounts.throttling import client_ip
from coopctg.core.text import clean_text
from coopctg.ctg.models import Ctg
from coopctg.dashboards.charts import Bar, responsive_bars
from coopctg.participation import questionnaires as service
from coopctg.participation.models import PublicPage, Questionnaire
from coopctg.participation.rules import QuestionKind
from coopctg.participation.services import public_content

TOKEN_MAX = 40


def _questionnaire(token: str) -> Questionnaire:
    if len(token) > TOKEN_MAX:
        raise Http404("Page introuvable.")
    found = (
        Questionnaire.objects.filter(jeton=token)
        .exclude(statut=Questionnaire.Status.DRAFT)
        .select_related("consultation", "consultation__ctg")
        .first()
    )
    if found is None:
        raise Http404("Page introuvable.")
    return found


def _items(questions: list[Any], posted: dict[str, list[str]], errors: dict[str, str]) -> list:
    items = []
    for number, question in enumerate(questions, start=1):
        key = str(question.pk)
        if question.type == QuestionKind.SCALE:
            options = [str(v) for v in range(question.echelle_min, question.echelle_max + 1)]
        else:
            options = [str(c) for c in question.choix]
        items.append(
            {
                "number": number,
                "question": question,
                "name": f"q{question.pk}",
                "options": options,
                "values": posted.get(key, []),
                "error": errors.get(key),
            }
        )
    return items


def _page(
    request: HttpRequest,
    questionnaire: Questionnaire,
    *,
    posted: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    questions = service.questions_of(questionnaire)
    bounds = service.limits(today)
    return render(
        request,
        "participation/public/answer.html",
        {
            "questionnaire": questionnaire,
            "ctg": questionnaire.consultation.ctg,
            "open": service.is_open(questionnaire, today),
            "items": _items(questions, posted or {}, errors or {}),
            "errors": errors or {},
            "refusal": refusal,
            "text_max": bounds.text_length,
            "per_hour": bounds.per_hour,
        },
        status=status,
    )


def _posted(request: HttpRequest, questions: list[Any]) -> tuple[dict[str, list[str]], bool]:
    """The values sent per question id, cleaned of control characters; False when a value
    holds a NUL character (a malformed submission)."""
    data: dict[str, list[str]] = {}
    for question in questions:
        values = request.POST.getlist(f"q{question.pk}")
        if any("\x00" in v for v in values):
            return {}, False
        data[str(question.pk)] = [clean_text(v) for v in values]
    return data, True


@login_not_required
@never_cache  # the form carries a CSRF token: never kept by a shared cache
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    questionnaire = _questionnaire(token)
    if request.method != "POST":
        return _page(request, questionnaire)
    today = timezone.localdate()
    bounds = service.limits(today)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = bounds.submission_bytes + 1
    if length > bounds.submission_bytes:
        return _page(
            request,
            questionnaire,
            refusal="Votre envoi est trop volumineux : raccourcissez vos réponses. Rien n'a été "
            "enregistré.",
            status=413,
        )
    if not service.is_open(questionnaire, today):
        return _page(
            request,
            questionnaire,
            refusal="Ce questionnaire est clos : votre réponse n'a pas été enregistrée.",
            status=410,
        )
    questions = service.questions_of(questionnaire)
    posted, well_formed = _posted(request, questions)
    if not well_formed:
        return _page(
            request,
            questionnaire,
            refusal="Votre envoi contient des caractères invalides. Rien n'a été enregistré.",
            status=400,
        )
    answers, errors = service.check_submission(questions, posted, bounds)
    if errors:
        return _page(request, questionnaire, posted=posted, errors=errors, status=400)
    try:
        service.record_submission(questionnaire, answers, client_ip(request), bounds)
    except service.Throttled:
        return _page(
            request,
            questionnaire,
            posted=posted,
            refusal=f"Trop de réponses envoyées depuis cette connexion ({bounds.per_hour} par "
            "heure au plus) : réessayez plus tard. Votre réponse n'a pas été enregistrée.",
            status=429,
        )
    except service.QuestionnaireError as error:
        return _page(request, questionnaire, refusal=error.message, status=410)
    done = HttpResponseRedirect(reverse("public:thanks", args=[questionnaire.jeton]))
    done.status_code = 303  # See Other: reloading the thanks page never sends twice
    return done


@login_not_required
@require_http_methods(["GET", "HEAD"])
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    questionnaire = _questionnaire(token)
    return render(
        request,
        "participation/public/thanks.html",
        {"questionnaire": questionnaire, "ctg": questionnaire.consultation.ctg},
    )


@login_not_required
@require_http_methods(["GET", "HEAD"])
def ctg_page(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    opened = PublicPage.objects.filter(ctg_id=ctg_pk, active=True).exists()
    ctg = Ctg.objects.filter(pk=ctg_pk).first() if opened else None
    if ctg is None:
        raise Http404("Page introuvable.")
    today = timezone.localdate()
    content = public_content(ctg, today)
    chart = responsive_bars(
        "avancement",
        "Avancement moyen des actions par thématique",
        [
            Bar(
                t.label,
                t.mean_progress or Decimal(0),
                f"{t.mean_progress} %",
                note=f"{t.actions} action{'s' if t.actions > 1 else ''}",
            )
            for t in content.themes
        ],
        maximum=Decimal(100),
    )
    return render(
        request,
        "participation/public/ctg.html",
        {"content": content, "ctg": ctg, "today": today, "chart": chart},
    )
