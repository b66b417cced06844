"""The uplift study's admin add form is saved once per form (zaofeng.admin_form_tokens): a study
has no natural key, so a double submit would define the same study twice."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from integrations.models import FormSubmission
from tests.admin_forms import add_form_token, posted_at_once
from tests.factories import UserFactory
from uplift.models import UpliftStudy

ADD = "admin:uplift_upliftstudy_add"


def _study_form(client) -> dict:
    """The add form's fields as a user fills them in, with the inline's management form and the
    one-time token the page issued."""
    page = client.get(reverse(ADD)).content.decode()
    management = dict(re.findall(r'name="(result-[A-Z_]+)" value="(\d*)"', page))
    assert management, "the add page carries the result inline's management form"
    return {
        "title": "门槛 5 万元的增量效果",
        "threshold_fen": 5_000_000,
        "window_start": "2025-01-01",
        "window_end": "2026-06-01",
        "outcome": "log_net_gmv",
        "covariates": "[]",
        "seed": 2021,
        "bootstrap_draws": 199,
        **management,
        **add_form_token(client, reverse(ADD)),
    }


@pytest.fixture
def superuser():
    return UserFactory(username="uplift-admin", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_a_study_posted_twice_is_saved_once_and_the_second_is_sent_to_it(client, superuser):
    client.force_login(superuser)
    form = _study_form(client)

    assert client.post(reverse(ADD), form).status_code == 302
    study = UpliftStudy.objects.get()
    assert study.created_by == superuser
    second = client.post(reverse(ADD), form)
    assert second.status_code == 302
    assert second["Location"] == reverse("admin:uplift_upliftstudy_change", args=[study.pk])
    assert [str(m) for m in get_messages(second.wsgi_request)][-1] == (
        f"这份表单已经保存过（{study}），未重复保存。"
    )
    assert UpliftStudy.objects.count() == 1
    assert FormSubmission.objects.get().object_pk == str(study.pk)

    # a new form is a new token: a second study alike is a study of its own
    assert client.post(reverse(ADD), _study_form(client)).status_code == 302
    assert UpliftStudy.objects.count() == 2


@pytest.mark.django_db
def test_a_study_posted_without_its_token_is_refused(client, superuser):
    client.force_login(superuser)
    form = _study_form(client)
    del form["_form_token"]
    response = client.post(reverse(ADD), form)
    assert response.status_code == 302
    assert response["Location"] == reverse(ADD)
    assert not UpliftStudy.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_three_posts_of_one_study_form_at_once_save_one(superuser):
    setup = Client()
    setup.force_login(superuser)
    form = _study_form(setup)
    responses = posted_at_once(superuser, reverse(ADD), form, times=3)
    assert [response.status_code for response in responses] == [302, 302, 302]
    assert UpliftStudy.objects.count() == 1
