"""The public questionnaire form, fuzzed (hypothesis): whatever a visitor sends — unknown
fields, several values, control characters, very long or undecodable texts, raw bodies —
the answer is a redirection (the submission is valid and stored once) or a 4xx with nothing
stored; never a 500."""

from urllib.parse import quote_from_bytes

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopctg.participation import questionnaires as service
from coopctg.participation.models import Submission, ThrottleMark
from coopctg.participation.rules import parse_submission
from tests.participation.helpers import add_consultation, add_questionnaire, question_ids

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["Crèche", "Aucun", "Lundi", "Samedi", "3", "0", "-1", "5", "6", "1e3", ""]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1900, max_size=2100),
    st.sampled_from(["\x00", "a\x0bb", "\ud7ff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "x@y.fr", "06 12 34 56 78"]),
)


@pytest.fixture
def questionnaire(touraine):
    return add_questionnaire(add_consultation(touraine.ctg_own))


def _fields(questionnaire):
    return [f"q{pk}" for pk in question_ids(questionnaire)]


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_any_submission_is_stored_whole_or_refused_with_a_4xx(questionnaire, data):
    ThrottleMark.objects.all().delete()
    names = st.one_of(st.sampled_from(_fields(questionnaire)), st.text(max_size=8))
    form = data.draw(st.dictionaries(names, st.lists(texts, max_size=4), max_size=6))
    before = Submission.objects.count()
    response = Client().post(reverse("public:answer", args=[questionnaire.jeton]), form)
    after = Submission.objects.count()
    assert response.status_code in (303, 400, 413), response.status_code
    if response.status_code == 303:
        assert after == before + 1
        stored = Submission.objects.latest("pk").reponses
        specs = [service.spec_of(q) for q in service.questions_of(questionnaire)]
        values = {
            k: (v if isinstance(v, list) else [str(v)]) for k, v in stored.items() if v is not None
        }
        _answers, errors = parse_submission(specs, values, service.limits())
        assert errors == {}
    else:
        assert after == before


@pytest.mark.django_db
@FUZZ
@given(body=st.binary(max_size=300))
def test_raw_bodies_never_break_the_form(questionnaire, body):
    ThrottleMark.objects.all().delete()
    count = Submission.objects.count()
    first = _fields(questionnaire)[0]
    payload = f"{first}=".encode() + quote_from_bytes(body).encode() + b"&" + body
    response = Client().post(
        reverse("public:answer", args=[questionnaire.jeton]),
        payload,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (303, 400, 413)
    assert Submission.objects.count() == count + (response.status_code == 303)


@pytest.mark.django_db
@FUZZ
@given(
    choice=st.text(max_size=50).filter(
        lambda t: t.strip() not in {"Crèche", "Assistante maternelle", "Aucun", ""}
    )
)
def test_a_choice_that_is_not_offered_is_always_refused(questionnaire, choice):
    first = _fields(questionnaire)[0]
    response = Client().post(reverse("public:answer", args=[questionnaire.jeton]), {first: choice})
    assert response.status_code == 400
    assert Submission.objects.count() == 0
