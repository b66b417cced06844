"""Every portal and staff page in English: no Chinese outside the data.

A demo program is seeded; each demo login (every staff role, the two providers' owners, an
applicant) walks its pages in English from its home, following the links of the portal and the
staff console (each page kind a few times, with the ids the pages link to). The data's own
Chinese (provider, merchant and people's names, addresses, file names, stored messages…) is
removed from each page's text; any CJK character left is an untranslated string, reported with
the page and the text around it.
"""

import re
from collections import Counter, deque
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import Resolver404, resolve

from demo.registry import DEMO_OWNERS, DEMO_STAFF
from demo.services import demo_seed
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

END = date(2026, 10, 1)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
# Reference data whose Chinese the interface translates (tier names, stages, metrics…): kept in
# the page, so that an untranslated one is found. Everything else stored is data.
INTERFACE_MODELS = {
    "funding.tier",
    "funding.pool",
    "scoring.metric",
    "steps.stage",
    "providers.region",
}
NAMESPACES = {"portal", "staff", "risk-staff", "risk-portal", "steps"}
PER_PAGE_KIND = 2  # pages of one url name visited per user
SKIPPED = re.compile(r"(errors|template|sample)\.(csv|xlsx)$|/export|/logout")


class _Text(HTMLParser):
    """The text a reader sees (and the attributes read aloud), without scripts and styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # Scripts and styles are not read; nor is text marked as Chinese (the language menu's
        # "中文", offered in its own language).
        if tag in ("script", "style") or (
            tag == "option" and attributes.get("lang", "").startswith("zh")
        ):
            self._skip += 1
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for name in ("title", "aria-label", "placeholder", "alt"):
            if attributes.get(name):
                self.parts.append(attributes[name])
        if (
            tag == "input"
            and attributes.get("type") in ("submit", "button")
            and attributes.get("value")
        ):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "option") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _data_strings() -> list[str]:
    """Every stored text with Chinese in it, longest first, but the interface's reference data."""
    found: set[str] = set()
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in INTERFACE_MODELS or model._meta.app_label in ("auth", "contenttypes"):
            continue
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField) and not field.choices
        ]
        json_fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.JSONField)
        ]
        if not fields and not json_fields:
            continue
        for row in model.objects.values_list(*fields, *json_fields).iterator():
            for value in row:
                _collect(value, found)
    for first, last in get_user_model().objects.values_list("first_name", "last_name"):
        _collect(first, found)
        _collect(last, found)
        _collect(f"{last}{first}", found)
    return sorted(found, key=len, reverse=True)


def _collect(value, found: set[str]) -> None:
    if isinstance(value, str):
        if CJK.search(value):
            found.add(value.strip())
            found.update(part.strip() for part in re.split(r"[\n\r]+", value) if part.strip())
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if not set(match.namespaces) & NAMESPACES:
        return None
    return match.view_name


def _walk(client, start: str, visited: Counter):
    """(path, visible text) of each page reached from start, each page kind a few times."""
    queue, seen = deque([start]), {start}
    while queue:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _Text()
        parser.feed(response.content.decode())
        yield path, " ".join(" ".join(parser.parts).split())
        for href in parser.links:
            link = urldefrag(href).url
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith(("/portal/", "/staff/")):
                continue
            if parts.query or SKIPPED.search(parts.path) or parts.path in seen:
                continue
            name = _url_name(parts.path)
            if name is None or visited[name] >= PER_PAGE_KIND:
                continue
            visited[name] += 1
            seen.add(parts.path)
            queue.append(parts.path)


def _demo_users():
    demo_seed(providers=12, months=6, seed=7, end_month=END)
    User = get_user_model()
    users = [User.objects.get(username=name) for name, *_ in DEMO_STAFF]
    users += [User.objects.get(username=name) for name, _ in DEMO_OWNERS]
    users.append(UserFactory(username="english-applicant"))
    return users


def _pages(client, settings, users, language: str):
    """Every page of every user, in the language: (path, text), and the url names reached."""
    names: set[str] = set()
    for user in users:
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        visited: Counter = Counter()
        yield from _walk(client, "/staff/" if user.is_staff else "/portal/", visited)
        names.update(visited)
    assert len(names) > 30, sorted(names)


def test_every_portal_and_staff_page_is_english_outside_the_data(client, settings):
    users = _demo_users()
    data = _data_strings()
    problems: dict[str, set[str]] = {}
    for path, page_text in _pages(client, settings, users, "en"):
        text = page_text
        for value in data:
            if value in text:
                text = text.replace(value, " ")
        for hit in CJK.finditer(text):
            around = text[max(hit.start() - 30, 0) : hit.end() + 30]
            problems.setdefault(hit.group(), set()).add(f"{path}: …{around}…")
    report = "\n".join(
        f"{chinese!r}: {sorted(places)[0]} (+{len(places) - 1} more)"
        for chinese, places in sorted(problems.items())
    )
    assert not problems, f"{len(problems)} untranslated strings:\n{report}"


# Figures formatted once (zaofeng/money.py, scoring.rules.score_text, portal.display):
RAW_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d{3,}(?![\w.])")  # 91.0800000000000, 0.123456
YUAN_NOT_IN_WAN = re.compile(r"¥\d{2,3},\d{3}(?:\.\d+)?(?![\d,])")  # ¥12,345 is ¥1.23万
MIXED_UNITS = re.compile(r"\d[\d,.]*\s*[万亿]元")  # "1,000万元" beside "¥1000万"
HYPHEN_MINUS_DELTA = re.compile(r"(?<![\w\-–/:])-\d+(?:\.\d+)?\b(?!-)")  # -2.5, not −2.5


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_shows_its_figures_formatted_once(client, settings, language):
    """No raw decimals, yuan from ¥1万 up in 万/亿 (M/B in English), no 万元 beside ¥…万, and
    deltas signed with a real minus."""
    users = _demo_users()
    # Stored texts are data (a published criteria set's "注册资本不低于100万元" is frozen).
    data = _data_strings()
    problems: dict[str, set[str]] = {}
    for path, page_text in _pages(client, settings, users, language):
        text = page_text
        for value in data:
            if value in text:
                text = text.replace(value, " ")
        for name, pattern in (
            ("raw decimal", RAW_DECIMAL),
            ("yuan not in 万", YUAN_NOT_IN_WAN if language == "zh-hans" else None),
            ("万元", MIXED_UNITS),
            ("hyphen for minus", HYPHEN_MINUS_DELTA),
        ):
            if pattern is None:
                continue
            for hit in pattern.finditer(text):
                around = text[max(hit.start() - 40, 0) : hit.end() + 20]
                problems.setdefault(name, set()).add(f"{path}: …{around}…")
    report = "\n".join(
        f"{name}: {len(places)} e.g. " + " | ".join(sorted(places)[:4])
        for name, places in problems.items()
    )
    assert not problems, report
