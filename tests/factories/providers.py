import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from providers.credit_code import complete_credit_code
from providers.models import (
    LifecycleStatus,
    Membership,
    MembershipRole,
    Merchant,
    MerchantKind,
    Provider,
    ProviderType,
    Region,
    ServiceContract,
    Violation,
    ViolationKind,
    ViolationSeverity,
    ViolationSource,
)
from providers.roles import Role

__all__ = [
    "MembershipFactory",
    "MerchantFactory",
    "ProviderFactory",
    "ProviderTypeFactory",
    "RegionFactory",
    "ServiceContractFactory",
    "StaffUserFactory",
    "UserFactory",
    "ViolationFactory",
]

TEST_PASSWORD = "test-password-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffUserFactory(UserFactory):
    """A staff user holding one role: StaffUserFactory(role=Role.FINANCE)."""

    is_staff = True

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(Group.objects.get(name=Role(extracted or Role.PROGRAM_ADMIN).group_name))


class ProviderTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderType
        django_get_or_create = ("code",)

    code = "store_operation"
    name = "代运营"
    name_en = "store operation"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "east"
    name = "华东"
    name_en = "East China"


def _credit_code(n: int) -> str:
    return complete_credit_code(f"91330100{n:07d}AB")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"SP{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"测试服务商{n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name}有限公司")
    credit_code = factory.Sequence(_credit_code)
    region = factory.SubFactory(RegionFactory)
    status = LifecycleStatus.ACTIVE
    joined_on = datetime.date(2024, 1, 1)
    registered_on = datetime.date(2019, 5, 20)
    registered_capital_fen = 500_000_000
    team_size = 25
    contact_name = "王伟"
    contact_phone = "13800000000"
    contact_email = factory.LazyAttribute(lambda o: f"{o.code.lower()}@example.com")

    @factory.post_generation
    def provider_types(obj, create, extracted, **kwargs):
        if create:
            obj.provider_types.set(extracted or [ProviderTypeFactory()])


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    code = factory.Sequence(lambda n: f"M{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"测试品牌{n}")
    kind = MerchantKind.BRAND
    category = "食品"


class ServiceContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceContract

    provider = factory.SubFactory(ProviderFactory)
    merchant = factory.SubFactory(MerchantFactory)
    started_on = datetime.date(2024, 1, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ProviderFactory)
    role = MembershipRole.OWNER


class ViolationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Violation

    provider = factory.SubFactory(ProviderFactory)
    kind = ViolationKind.FALSE_ADVERTISING
    severity = ViolationSeverity.MINOR
    points = 2
    occurred_on = datetime.date(2025, 6, 1)
    source = ViolationSource.INSPECTION
    evidence = "巡检记录"
