"""The pages open without an account (``login_not_required``): a questionnaire's public link
and the public page of a Ctg whose collectivité opened it."""

from django.urls import path

from . import public

app_name = "public"

urlpatterns = [
    path("q/<str:token>/", public.answer, name="answer"),
    path("q/<str:token>/merci/", public.thanks, name="thanks"),
    path("public/ctg/<int:ctg_pk>/", public.ctg_page, name="ctg"),
]
