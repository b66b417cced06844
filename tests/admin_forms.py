"""Admin add forms in tests: the one-time token an add page issues (zaofeng.admin_form_tokens),
and one form posted by several clients at the same moment."""

import re
import threading

from django.db import connection
from django.test import Client

from zaofeng.admin_form_tokens import FIELD


def add_form_token(client, url: str) -> dict:
    """{"_form_token": …} as the add page at url issued it to the signed-in user."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    found = re.search(rf'name="{FIELD}" value="([^"]+)"', page.content.decode())
    assert found, "the add form carries no one-time token"
    return {FIELD: found.group(1)}


def posted_at_once(user, url: str, form: dict, times: int) -> list:
    """The responses to `times` clients signed in as user posting form to url at the same
    moment (a barrier releases them together), each on its own database connection."""
    barrier = threading.Barrier(times)
    responses = []

    def post():
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=30)
            responses.append(client.post(url, form))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses
