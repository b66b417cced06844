"""The Content-Security-Policy on pages: scripts from the site or nonced, never inline."""

import re

import pytest

from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/register/", "/api/docs/"])
def test_pages_forbid_inline_script_and_framing(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_swagger_ui_loads_its_set_up_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page
    assert client.get("/api/docs/?script=").status_code == 200


def test_the_schedule_form_nonces_its_inline_script(client):
    """django-celery-beat's change form has an inline script: it carries the policy's nonce."""

    from django_celery_beat.models import PeriodicTask

    client.force_login(StaffUserFactory(is_superuser=True))
    task = PeriodicTask.objects.first()
    response = client.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<script id="periodic-task-overrides" nonce="{nonce}">' in response.content.decode()
