"""Admin add forms in tests: the one-time token an add page issues (zaofeng.admin_form_tokens)."""

import re

from zaofeng.admin_form_tokens import FIELD


def add_form_token(client, url: str) -> dict:
    """{"_form_token": …} as the add page at url issued it to the signed-in user."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    found = re.search(rf'name="{FIELD}" value="([^"]+)"', page.content.decode())
    assert found, "the add form carries no one-time token"
    return {FIELD: found.group(1)}
