"""API shapes of tiers, allocations, the ledger, progress and the forecast."""

from rest_framework import serializers

from funding.models import (
    EntryKind,
    LedgerEntry,
    PeriodKind,
    PoolKind,
    ProposalLine,
    ProposalStatus,
    Tier,
    TierMembership,
)
from integrations.serializers import (
    EnumField,
    MonthField,
    QueryParametersSerializer,
    SlugTextField,
    TextField,
)

# ------------------------------------------------------------------------------
# Tiers
# ------------------------------------------------------------------------------


class TierOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = [
            "code",
            "name",
            "name_en",
            "rank",
            "threshold_fen",
            "min_overall_score",
            "target_count",
            "demotion_needs_confirmation",
            "is_active",
            "description",
        ]
        read_only_fields = fields


class TierMembershipOutputSerializer(serializers.ModelSerializer):
    provider_code = serializers.CharField(source="provider.code", read_only=True)
    tier = serializers.CharField(source="tier.code", read_only=True)
    tier_name = serializers.CharField(source="tier.name", read_only=True)
    started_on = MonthField(read_only=True, help_text="the first month in the tier (YYYY-MM)")
    ended_on = MonthField(
        read_only=True, allow_null=True, help_text="the first month no longer in it, or null"
    )

    class Meta:
        model = TierMembership
        fields = [
            "id",
            "provider_code",
            "tier",
            "tier_name",
            "started_on",
            "ended_on",
            "periods_below",
        ]
        read_only_fields = fields


class TierMembershipFilterSerializer(QueryParametersSerializer):
    month = MonthField(
        required=False, help_text="memberships in effect after that month's review (default: now)"
    )
    tier = SlugTextField(required=False, help_text="tier code, e.g. tier_100m")
    provider = TextField(required=False, max_length=20, help_text="provider code")


# ------------------------------------------------------------------------------
# Allocations and the ledger
# ------------------------------------------------------------------------------


class AllocationOutputSerializer(serializers.ModelSerializer):
    """One provider's share of a period's pools in an allocation proposal (分配方案)."""

    proposal_id = serializers.IntegerField(read_only=True)
    proposal_status = EnumField(ProposalStatus, source="proposal.status", read_only=True)
    period_kind = EnumField(PeriodKind, source="proposal.period_kind", read_only=True)
    period_start = MonthField(source="proposal.period_start", read_only=True)
    provider_code = serializers.CharField(source="provider.code", read_only=True)
    tier = serializers.CharField(source="tier.code", read_only=True, allow_null=True)
    edited = serializers.BooleanField(source="is_edited", read_only=True)
    explanation = serializers.JSONField(read_only=True, help_text="the parts it was computed from")

    class Meta:
        model = ProposalLine
        fields = [
            "id",
            "proposal_id",
            "proposal_status",
            "period_kind",
            "period_start",
            "provider_code",
            "tier",
            "new_entrant",
            "overall_score",
            "trailing_net_gmv_fen",
            "weight",
            "computed_fund_fen",
            "computed_impressions",
            "fund_fen",
            "impressions",
            "edited",
            "explanation",
        ]
        read_only_fields = fields


class AllocationFilterSerializer(QueryParametersSerializer):
    period = MonthField(required=False, help_text="the period's first month (YYYY-MM)")
    status = EnumField(ProposalStatus, required=False)
    provider = TextField(required=False, max_length=20, help_text="provider code")
    tier = SlugTextField(required=False, help_text="tier code")


class LedgerEntryOutputSerializer(serializers.ModelSerializer):
    """An append-only ledger entry, in fen for fund pools and impressions for traffic pools."""

    kind = EnumField(EntryKind, read_only=True)
    pool_id = serializers.IntegerField(read_only=True)
    pool_kind = EnumField(PoolKind, source="pool.kind", read_only=True)
    period_kind = EnumField(PeriodKind, source="pool.period_kind", read_only=True)
    period_start = MonthField(source="pool.period_start", read_only=True)
    provider_code = serializers.CharField(source="provider.code", read_only=True, allow_null=True)
    tier = serializers.CharField(source="tier.code", read_only=True, allow_null=True)
    grant_id = serializers.IntegerField(read_only=True, allow_null=True)
    amount = serializers.IntegerField(
        read_only=True, help_text="fen or impressions; only a correction may be negative"
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "pool_id",
            "pool_kind",
            "period_kind",
            "period_start",
            "provider_code",
            "tier",
            "grant_id",
            "reason",
            "created_at",
        ]
        read_only_fields = fields


class LedgerFilterSerializer(QueryParametersSerializer):
    kind = EnumField(EntryKind, required=False)
    pool_kind = EnumField(PoolKind, required=False)
    period = MonthField(required=False, help_text="the pool period's first month (YYYY-MM)")
    provider = TextField(required=False, max_length=20, help_text="provider code")


# ------------------------------------------------------------------------------
# Progress toward 100 × ¥1B and 200 × ¥100M, and the forecast
# ------------------------------------------------------------------------------


class MonthQuerySerializer(QueryParametersSerializer):
    month = MonthField(required=False, help_text="YYYY-MM (default: last month)")


class TrendPointSerializer(serializers.Serializer):
    month = serializers.DateField()
    at_1b = serializers.IntegerField()
    at_100m = serializers.IntegerField()
    band_100m_1b = serializers.IntegerField()


class ProviderGapSerializer(serializers.Serializer):
    provider_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    trailing_net_gmv_fen = serializers.IntegerField()
    lacking_fen = serializers.IntegerField()


class PoolUseSerializer(serializers.Serializer):
    pool_id = serializers.IntegerField()
    kind = serializers.CharField()
    period_start = serializers.DateField()
    period_kind = serializers.CharField()
    total = serializers.IntegerField()
    granted = serializers.IntegerField()
    disbursed = serializers.IntegerField()
    balance = serializers.IntegerField()
    utilisation = serializers.DecimalField(max_digits=6, decimal_places=4)


class AllocationTotalSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    fund_fen = serializers.IntegerField()
    impressions = serializers.IntegerField()
    providers = serializers.IntegerField()


class GroupCountSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    providers = serializers.IntegerField(help_text="in the program at the month's end")
    at_100m = serializers.IntegerField()
    at_1b = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    month = serializers.DateField()
    threshold_1b_fen = serializers.IntegerField()
    threshold_100m_fen = serializers.IntegerField()
    target_1b = serializers.IntegerField()
    target_100m = serializers.IntegerField()
    at_1b = serializers.IntegerField()
    at_100m = serializers.IntegerField(help_text="inclusive: providers at ≥ ¥1B count too")
    band_100m_1b = serializers.IntegerField()
    trend = TrendPointSerializer(many=True)
    closest_below_1b = ProviderGapSerializer(many=True)
    closest_below_100m = ProviderGapSerializer(many=True)
    pools = PoolUseSerializer(many=True)
    by_tier = AllocationTotalSerializer(many=True)
    by_region = AllocationTotalSerializer(many=True)
    scope = serializers.ChoiceField(
        choices=["everything", "regions"],
        source="scope_kind",
        help_text="whose figures: the program's, or a region manager's share (its regions only)",
    )
    region_codes = serializers.ListField(
        child=serializers.CharField(), help_text="the regions of a region manager's share"
    )
    providers_in_program = serializers.IntegerField()
    regions = GroupCountSerializer(many=True)
    provider_types = GroupCountSerializer(many=True)


class ForecastQuarterSerializer(serializers.Serializer):
    month = serializers.DateField()
    quarter = serializers.CharField()
    at_1b = serializers.IntegerField()
    at_100m = serializers.IntegerField()
    target_1b = serializers.IntegerField()
    target_100m = serializers.IntegerField()


class ProjectionSerializer(serializers.Serializer):
    provider_id = serializers.IntegerField()
    trailing_net_gmv_fen = serializers.IntegerField()
    growth_ppm = serializers.IntegerField()
    projected_fen = serializers.ListField(child=serializers.IntegerField())


class ForecastSerializer(serializers.Serializer):
    month = serializers.DateField()
    quarters = ForecastQuarterSerializer(many=True)
    providers = ProjectionSerializer(many=True)


class StandingTierSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    threshold_fen = serializers.IntegerField()
    min_overall_score = serializers.DecimalField(max_digits=5, decimal_places=2)


class ProviderStandingSerializer(serializers.Serializer):
    """funding.selectors.standing.Standing: the figures the portal and staff pages show."""

    month = serializers.DateField()
    status = serializers.CharField(help_text="lifecycle status at the month's end")
    tier = StandingTierSerializer(allow_null=True, help_text="held after the month's review")
    next_tier = StandingTierSerializer(allow_null=True)
    trailing_net_gmv_fen = serializers.IntegerField()
    overall_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    score_checked = serializers.BooleanField(help_text="scores count once a model is published")
    gmv_lacking_fen = serializers.IntegerField(allow_null=True)
    score_lacking = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
