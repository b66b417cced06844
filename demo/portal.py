"""Demo accounts for the provider portal, one for each kind of page a provider can see.

Besides the owners the registry seeds (provider1, provider2), the portal has an operator of the
first provider, the owners of a provider in rectification and one in warning (deadlines,
warnings, plans and appeals show on their pages), and an applicant with a draft application.
Everything goes through the services a real user's actions call; the accounts are taken again,
not duplicated, after a reset of the demo (which removes providers, not these accounts).
"""

import random
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.services import notification_send
from providers.credit_code import complete_credit_code
from providers.models import (
    DocumentKind,
    LifecycleStatus,
    Membership,
    MembershipRole,
    Provider,
    ProviderType,
    Region,
)
from providers.services.applications import application_create
from providers.services.documents import application_document_add

DEMO_PDF = b"%PDF-1.4\n% zaofeng demo licence\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PORTAL_LINK = "/portal/"


def _account(username: str):
    user, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@zaofeng.example"}
    )
    user.set_password(settings.DEMO_PASSWORD)
    user.is_active = True
    user.save()
    return user


def _member(username: str, provider: Provider, role: str) -> str:
    user = _account(username)
    Membership.objects.filter(user=user).delete()
    Membership.objects.create(user=user, provider=provider, role=role)
    return username


def seed_portal_users(*, rng: random.Random) -> list[str]:
    """Portal accounts beside provider1/provider2; returns their usernames."""
    created = []
    first = Provider.objects.filter(code="SP000001").first()
    if first is not None:
        created.append(_member("operator1", first, MembershipRole.OPERATOR))
    for username, status in (
        ("provider3", LifecycleStatus.RECTIFICATION),
        ("provider4", LifecycleStatus.WARNING),
    ):
        provider = (
            Provider.objects.filter(status=status)
            .exclude(memberships__role=MembershipRole.OWNER)
            .order_by("code")
            .first()
        )
        if provider is not None:
            created.append(_member(username, provider, MembershipRole.OWNER))
    for provider in Provider.objects.filter(memberships__isnull=False).distinct():
        notification_send(
            provider=provider,
            kind="portal",
            title="欢迎使用造风者计划服务商门户",
            body="在门户中可以查看合作状态、能力评分与提升建议、准入准出标准和资源分配，"
            "上传月度数据，并管理团队成员。",
            link=PORTAL_LINK,
        )
    created.append(_applicant(rng))
    return created


def _applicant(rng: random.Random) -> str:
    """applicant1: a company that registered and saved a draft with its business licence."""
    user = _account("applicant1")
    if user.applications.exists():
        return user.username
    region = Region.objects.order_by("id").first()
    provider_type = ProviderType.objects.order_by("id").first()
    code = complete_credit_code("91330100" + f"{rng.randrange(10**6):06d}" + "APL")
    application = application_create(
        by=user,
        applicant=user,
        data={
            "company_name": "杭州新禾直播科技",
            "legal_name": "杭州新禾直播科技有限公司",
            "credit_code": code,
            "region": region,
            "provider_types": [provider_type],
            "registered_on": date(2025, 3, 15),
            "registered_capital_fen": 300_000_000,
            "team_size": 18,
            "served_gmv_12m_fen": 2_600_000_000,
            "introduction": "专注食品与日用品类的店播代运营。",
            "contact_name": "陈晨",
            "contact_phone": "13900000000",
            "contact_email": user.email,
        },
    )
    application_document_add(
        application=application,
        uploaded_file=SimpleUploadedFile("营业执照.pdf", DEMO_PDF),
        kind=DocumentKind.BUSINESS_LICENCE,
        by=user,
    )
    return user.username
