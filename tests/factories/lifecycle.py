import datetime

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from notifications.models import Notification
from providers.criteria import CriterionLevel, Operator
from providers.models import (
    Appeal,
    Application,
    ApplicationCase,
    ApplicationDocument,
    CriteriaKind,
    CriteriaSet,
    CriteriaSetStatus,
    Criterion,
    DecisionAction,
    DecisionRecord,
    DocumentKind,
    ExitEvaluation,
    LifecycleStatus,
    RectificationPlan,
)
from tests.factories.providers import (
    ProviderFactory,
    ProviderTypeFactory,
    RegionFactory,
    UserFactory,
    _credit_code,
)

__all__ = [
    "PDF_BYTES",
    "PNG_BYTES",
    "JPEG_BYTES",
    "AppealFactory",
    "ApplicationCaseFactory",
    "ApplicationDocumentFactory",
    "ApplicationFactory",
    "CriteriaSetFactory",
    "CriterionFactory",
    "DecisionRecordFactory",
    "ExitEvaluationFactory",
    "NotificationFactory",
    "RectificationPlanFactory",
]

# The smallest files each accepted format begins with (their magic bytes) plus a little body.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


class CriteriaSetFactory(factory.django.DjangoModelFactory):
    """A draft by default; published ones come from the seed migration."""

    class Meta:
        model = CriteriaSet

    kind = CriteriaKind.ADMISSION
    provider_type = factory.SubFactory(ProviderTypeFactory)
    version = factory.Sequence(lambda n: 100 + n)
    status = CriteriaSetStatus.DRAFT
    note = "测试版本"


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    criteria_set = factory.SubFactory(CriteriaSetFactory)
    position = factory.Sequence(lambda n: n + 1)
    input_name = "team_size"
    operator = Operator.GTE
    threshold = "10"
    level = CriterionLevel.HARD
    weight = 1
    sentence = "团队不少于10人"
    sentence_en = "A team of at least 10 people"


# Declared business facts that meet every type's seeded admission criteria (docs/lifecycle.md).
DECLARED_FACTS_MEETING_EVERY_TYPE = {
    "brands_served": 8,
    "shipment_48h_rate": "0.96",
    "refund_rate": "0.06",
    "streamers_signed": 60,
    "streamers_incubated": 12,
    "incubated_streamer_gmv_fen": 900_000_000,
    "studios": 30,
    "daily_live_hours": "14",
    "merchants_hosted": 40,
    "active_skus": 1200,
    "in_stock_rate": "0.93",
    "ad_roi": "3.2",
    "private_domain_gmv_share": "0.25",
    "trainees": 600,
    "trainee_store_gmv_fen": 2_000_000_000,
}


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft that meets every default admission criterion except documents (add them)."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    company_name = factory.Sequence(lambda n: f"申请企业{n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.company_name}有限公司")
    credit_code = factory.Sequence(lambda n: _credit_code(500_000 + n))
    region = factory.SubFactory(RegionFactory)
    registered_on = datetime.date(2019, 3, 15)
    registered_capital_fen = 500_000_000  # ¥500万
    team_size = 30
    served_gmv_12m_fen = 5_000_000_000  # ¥5,000万
    introduction = "专注抖音电商代运营"
    contact_name = "李娜"
    contact_phone = "13900000000"
    contact_email = factory.Sequence(lambda n: f"apply{n}@example.com")
    declared_facts = factory.LazyFunction(lambda: dict(DECLARED_FACTS_MEETING_EVERY_TYPE))

    @factory.post_generation
    def provider_types(obj, create, extracted, **kwargs):
        if create:
            obj.provider_types.set(extracted or [ProviderTypeFactory()])


class ApplicationCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplicationCase

    application = factory.SubFactory(ApplicationFactory)
    merchant_name = "口水娃"
    category = "食品"
    result = "店铺自播月GMV从300万增长到6000万"
    served_gmv_fen = 6_000_000_000


class ApplicationDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplicationDocument

    application = factory.SubFactory(ApplicationFactory)
    kind = DocumentKind.BUSINESS_LICENCE
    file = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="upload.pdf"))
    original_name = "营业执照.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    sha256 = "0" * 64


class DecisionRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DecisionRecord

    provider = factory.SubFactory(ProviderFactory, status=LifecycleStatus.WARNING)
    action = DecisionAction.WARNED
    from_status = LifecycleStatus.ACTIVE
    to_status = LifecycleStatus.WARNING
    decided_at = factory.LazyFunction(timezone.now)
    reason = "准出评估：连续3个月无成交"


class ExitEvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExitEvaluation

    provider = factory.SubFactory(ProviderFactory)
    month = datetime.date(2026, 9, 1)
    verdict = "pass"
    results = factory.LazyFunction(list)
    snapshot = factory.LazyFunction(
        lambda: {
            "months_without_gmv": 0,
            "overall_score_last_two_quarters_max": "75",
            "complaints_per_10k_orders": "5",
            "trailing_net_gmv_fen": 100_000_000_000,
        }
    )


class AppealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appeal

    decision = factory.SubFactory(DecisionRecordFactory)
    provider = factory.SelfAttribute("decision.provider")
    grounds = "该违规系误判，已提交品牌授权书"


class RectificationPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RectificationPlan

    decision = factory.SubFactory(
        DecisionRecordFactory,
        provider__status=LifecycleStatus.RECTIFICATION,
        action=DecisionAction.RECTIFICATION_STARTED,
        from_status=LifecycleStatus.WARNING,
        to_status=LifecycleStatus.RECTIFICATION,
    )
    provider = factory.SelfAttribute("decision.provider")
    content = "一、停止违规话术；二、每周巡检直播间；三、培训主播"


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "lifecycle"
    title = "预警：测试服务商"
    body = "状态：正常合作 → 预警"
    link = "/portal/"
