"""Demo providers, merchants, contracts, violations and users."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from demo.story import (
    BRAND_SYLLABLES,
    CATEGORIES,
    CITY_BY_REGION,
    NAME_HEADS,
    NAME_TAILS,
    NAMED_BRANDS,
    NAMED_PROVIDERS,
    PERSON_GIVEN,
    PERSON_SURNAMES,
    REGION_WEIGHTS,
    TYPE_BY_TAIL,
)
from providers.credit_code import ALPHABET, complete_credit_code
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
from zaofeng.periods import add_months, month_end

# Share of generated providers in each lifecycle status (the rest are active).
STATUS_SHARES = (
    (LifecycleStatus.APPLICANT, 4),
    (LifecycleStatus.PROBATION, 6),
    (LifecycleStatus.WARNING, 3),
    (LifecycleStatus.RECTIFICATION, 2),
    (LifecycleStatus.EXITED, 2),
)
MEDIAN_MONTHLY_NET_YUAN = 2_500_000  # a median provider serves about ¥3,000万 a year
PPM = 1_000_000


@dataclass
class ProviderPlan:
    """How a demo provider's months should look; money as integer yuan, factors in parts per million."""

    provider: Provider
    level_yuan: int
    growth_ppm: int
    refund_ppm: int
    quality_ppm: int
    active_months: int
    merchants: list[tuple[Merchant, int | None]] = field(
        default_factory=list
    )  # (merchant, fixed yuan)


def _pick_status(rng: random.Random) -> str:
    roll = rng.randrange(100)
    for status, share in STATUS_SHARES:
        if roll < share:
            return status
        roll -= share
    return LifecycleStatus.ACTIVE


def _credit_code(rng: random.Random, division: str, index: int) -> str:
    # 9-character organisation code: the index keeps codes unique, the rest varies with the seed.
    organisation = f"{index:06d}" + "".join(rng.choice(ALPHABET) for _ in range(3))
    return complete_credit_code("91" + division + organisation)


def _person(rng: random.Random) -> str:
    return rng.choice(PERSON_SURNAMES) + rng.choice(PERSON_GIVEN) + rng.choice(("", *PERSON_GIVEN))


def seed_merchants(*, rng: random.Random, count: int) -> list[Merchant]:
    merchants = []
    for index, (name, category, _monthly) in enumerate(NAMED_BRANDS, start=1):
        merchants.append(
            Merchant(code=f"M{index:06d}", name=name, kind=MerchantKind.BRAND, category=category)
        )
    for index in range(len(NAMED_BRANDS) + 1, count + 1):
        kind = rng.choices(
            (MerchantKind.BRAND, MerchantKind.KEY_ACCOUNT, MerchantKind.ORDINARY),
            weights=(2, 3, 10),
        )[0]
        name = "".join(rng.sample(BRAND_SYLLABLES, 2)) + rng.choice(
            ("", "优选", "旗舰店", "工坊", "家")
        )
        merchants.append(
            Merchant(code=f"M{index:06d}", name=name, kind=kind, category=rng.choice(CATEGORIES))
        )
    return Merchant.objects.bulk_create(merchants)


def seed_providers(
    *, rng: random.Random, count: int, end_month: date, months: int
) -> list[ProviderPlan]:
    regions = {region.code: region for region in Region.objects.all()}
    types = {provider_type.code: provider_type for provider_type in ProviderType.objects.all()}
    region_codes = list(REGION_WEIGHTS)
    plans: list[ProviderPlan] = []
    type_links: list[tuple[int, str]] = []
    providers: list[Provider] = []
    end_day = month_end(end_month)

    for index in range(1, count + 1):
        code = f"SP{index:06d}"
        if index <= len(NAMED_PROVIDERS):
            named = NAMED_PROVIDERS[index - 1]
            name, legal_name, region_code, type_codes = (
                named.name,
                named.legal_name,
                named.region,
                named.types,
            )
            division, level, status = named.division, named.monthly_net_gmv_yuan, named.status
            registered_on = date(2016 + index % 4, 1 + index % 12, 10)
        else:
            region_code = rng.choices(
                region_codes, weights=[REGION_WEIGHTS[r] for r in region_codes]
            )[0]
            city, division = rng.choice(CITY_BY_REGION[region_code])
            tail = rng.choice(NAME_TAILS)
            name = f"{city}{''.join(rng.sample(NAME_HEADS, 2))}{tail}"
            legal_name = f"{name}有限公司"
            type_codes = (TYPE_BY_TAIL[tail],)
            if rng.random() < 0.2:
                type_codes += (rng.choice([c for c in types if c not in type_codes]),)
            status = _pick_status(rng)
            # Heavy tail: a log-normal month, so a few providers reach ¥10亿 a year and many ¥1亿.
            level = min(int(MEDIAN_MONTHLY_NET_YUAN * rng.lognormvariate(0, 1.5)), 250_000_000)
            # An applicant may be a young company: that is what the admission criteria check.
            age_days = (
                rng.randint(120, 700)
                if status == LifecycleStatus.APPLICANT
                else rng.randint(400, 5000)
            )
            registered_on = end_day - timedelta(days=age_days)
        if status == LifecycleStatus.APPLICANT:
            active_months, joined_on = 0, None
        elif status == LifecycleStatus.PROBATION:
            active_months = rng.randint(1, 3)
            joined_on = add_months(end_month, -(active_months - 1))
        else:
            active_months = (
                min(months, rng.randint(14, 60)) if index > len(NAMED_PROVIDERS) else months
            )
            joined_on = add_months(end_month, -(active_months - 1))
        provider = Provider(
            code=code,
            name=name,
            legal_name=legal_name,
            credit_code=_credit_code(rng, division, index),
            region=regions[region_code],
            status=status,
            joined_on=joined_on,
            registered_on=registered_on,
            registered_capital_fen=rng.choice((50, 100, 200, 500, 1000, 3000)) * 10_000 * 100,
            team_size=rng.randint(6, 40) + level // 1_000_000,
            contact_name=_person(rng),
            contact_phone=f"1{rng.choice((3, 5, 8))}{rng.randrange(10**9):09d}",
            contact_email=f"contact@{code.lower()}.example.cn",
        )
        providers.append(provider)
        type_links.extend((index, type_code) for type_code in type_codes)
        plans.append(
            ProviderPlan(
                provider=provider,
                level_yuan=level,
                growth_ppm=int(rng.gauss(0.015, 0.02) * PPM),
                refund_ppm=rng.randint(30_000, 150_000),
                quality_ppm=int(rng.betavariate(5, 3) * PPM),
                active_months=active_months,
            )
        )

    Provider.objects.bulk_create(providers)
    by_index = {index: provider for index, provider in enumerate(providers, start=1)}
    Through = Provider.provider_types.through
    Through.objects.bulk_create(
        Through(provider_id=by_index[index].pk, providertype_id=types[type_code].pk)
        for index, type_code in type_links
    )
    return plans


# Which named provider serves which named brand (index into NAMED_BRANDS).
NAMED_CONTRACTS = {1: (0, 4), 3: (1, 2, 3)}


def seed_contracts(
    *,
    rng: random.Random,
    plans: list[ProviderPlan],
    merchants: list[Merchant],
    end_month: date,
    months: int,
) -> None:
    ordinary = merchants[len(NAMED_BRANDS) :]
    contracts = []
    first_month = add_months(end_month, -(months - 1))
    for number, plan in enumerate(plans, start=1):
        if plan.active_months == 0:
            continue
        for brand_index in NAMED_CONTRACTS.get(number, ()):
            plan.merchants.append((merchants[brand_index], NAMED_BRANDS[brand_index][2]))
        extra = 1 + min(6, plan.level_yuan // 5_000_000) + rng.randint(0, 2)
        for merchant in rng.sample(ordinary, min(extra, len(ordinary))):
            plan.merchants.append((merchant, None))
        started_on = max(plan.provider.joined_on or first_month, first_month)
        for merchant, _fixed in plan.merchants:
            ended_on = None
            if plan.provider.status == LifecycleStatus.EXITED:
                ended_on = month_end(end_month)
            contracts.append(
                ServiceContract(
                    provider=plan.provider,
                    merchant=merchant,
                    started_on=started_on,
                    ended_on=ended_on,
                )
            )
    ServiceContract.objects.bulk_create(contracts)


def seed_violations(*, rng: random.Random, plans: list[ProviderPlan], end_month: date) -> None:
    end_day = month_end(end_month)
    violations = []
    minor_kinds = (
        ViolationKind.FALSE_ADVERTISING,
        ViolationKind.HYPE_SELLING,
        ViolationKind.POOR_FULFILLMENT,
    )
    for number, plan in enumerate(plans, start=1):
        provider = plan.provider
        if (
            number == 3
        ):  # 广州青禾MCN: 13 points within twelve months, over the exit threshold of 12
            for days_ago, points, kind in (
                (300, 5, ViolationKind.FALSE_ADVERTISING),
                (150, 4, ViolationKind.HYPE_SELLING),
                (40, 4, ViolationKind.FALSE_ADVERTISING),
            ):
                violations.append(
                    Violation(
                        provider=provider,
                        kind=kind,
                        severity=ViolationSeverity.MAJOR,
                        points=points,
                        occurred_on=end_day - timedelta(days=days_ago),
                        source=ViolationSource.PINOCCHIO,
                        evidence="匹诺曹行动识别的直播间违规话术",
                    )
                )
            continue
        if number == 5:  # 温州晨光服饰: a counterfeit found by inspection
            violations.append(
                Violation(
                    provider=provider,
                    kind=ViolationKind.COUNTERFEIT,
                    severity=ViolationSeverity.SERIOUS,
                    points=12,
                    occurred_on=end_day - timedelta(days=5),
                    source=ViolationSource.INSPECTION,
                    evidence="平台抽检：商品与品牌授权不符",
                )
            )
            continue
        if plan.active_months == 0 or number <= 7 or rng.random() > 0.12:
            continue
        for _ in range(rng.randint(1, 3)):
            violations.append(
                Violation(
                    provider=provider,
                    kind=rng.choice(minor_kinds),
                    severity=ViolationSeverity.MINOR,
                    points=rng.randint(1, 4),
                    occurred_on=end_day - timedelta(days=rng.randint(1, 700)),
                    source=rng.choice(
                        (
                            ViolationSource.INSPECTION,
                            ViolationSource.BUYER_REPORT,
                            ViolationSource.PINOCCHIO,
                        )
                    ),
                    evidence="巡检记录",
                )
            )
    Violation.objects.bulk_create(violations)


DEMO_STAFF = (
    # username, role, superuser
    ("admin", Role.PROGRAM_ADMIN, True),
    ("reviewer", Role.REVIEWER, False),
    ("finance", Role.FINANCE, False),
    ("regionmgr", Role.REGION_MANAGER, False),
    ("auditor", Role.AUDITOR, False),
    ("investor", Role.INVESTMENT, False),
)
DEMO_OWNERS = (("provider1", "SP000001"), ("provider2", "SP000002"))


def seed_users() -> list[str]:
    User = get_user_model()
    password = settings.DEMO_PASSWORD
    created = []
    for username, role, superuser in DEMO_STAFF:
        user = User(
            username=username,
            email=f"{username}@zaofeng.example",
            is_staff=True,
            is_superuser=superuser,
        )
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=role.group_name))
        created.append(username)
    for username, provider_code in DEMO_OWNERS:
        user = User(username=username, email=f"{username}@zaofeng.example")
        user.set_password(password)
        user.save()
        Membership.objects.create(
            user=user, provider=Provider.objects.get(code=provider_code), role=MembershipRole.OWNER
        )
        created.append(username)
    return created
