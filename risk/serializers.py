from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from integrations.serializers import EnumField, TextField, WholeNumberField
from providers.models import Provider, ViolationKind, ViolationSeverity, ViolationSource
from risk.models import RiskSignal, RuleKindChoices, SignalStatus

MAX_VIOLATIONS = 500
UNKNOWN_PROVIDER = _("没有编号为 {code} 的服务商。")
IN_THE_FUTURE = _("违规日期不能晚于今天。")
ALREADY_RECORDED = _(
    "与已记录的违规 #{id} 相同（同一服务商、类型、日期、来源与证据），未重复记录。"
)


class ViolationLineSerializer(serializers.Serializer):
    provider_code = TextField(max_length=20, help_text="e.g. SP000001")
    kind = EnumField(ViolationKind)
    severity = EnumField(ViolationSeverity)
    points = WholeNumberField(min_value=0, max_value=100, help_text="penalty points, 0–100")
    occurred_on = serializers.DateField(help_text="YYYY-MM-DD, not in the future")
    source = EnumField(ViolationSource)
    evidence = TextField(max_length=2000, required=False, default="", allow_blank=True)


class ViolationBatchInputSerializer(serializers.Serializer):
    """Violations pushed by an inspection or 匹诺曹 system; all lines or none are stored."""

    violations = serializers.ListField(
        child=ViolationLineSerializer(), min_length=1, max_length=MAX_VIOLATIONS
    )


def violation_lines_refusals(lines) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The lines the rules refuse (unknown provider, a date in the future), named as
    violations[i].field, and the providers of the others: shape is the serializer's, these 409."""
    codes = {line["provider_code"] for line in lines}
    providers = dict(Provider.objects.filter(code__in=codes).values_list("code", "pk"))
    today = timezone.localdate()
    refusals: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        if line["provider_code"] not in providers:
            refusals[f"violations[{index}].provider_code"] = [
                str(UNKNOWN_PROVIDER).format(code=line["provider_code"])
            ]
        if line["occurred_on"] > today:
            refusals[f"violations[{index}].occurred_on"] = [str(IN_THE_FUTURE)]
    return refusals, providers


class ViolationBatchOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    violation_ids = serializers.ListField(child=serializers.IntegerField())


class RiskSignalOutputSerializer(serializers.ModelSerializer):
    provider_code = serializers.CharField(source="provider.code")
    rule = EnumField(RuleKindChoices, name="RiskRule")
    status = EnumField(SignalStatus, name="RiskSignalStatus")
    rule_version = serializers.IntegerField(source="rule_set.version")
    month = serializers.SerializerMethodField()

    class Meta:
        model = RiskSignal
        fields = [
            "id",
            "provider_code",
            "rule",
            "rule_version",
            "month",
            "observed",
            "peer_median",
            "z",
            "threshold",
            "peer_group",
            "peers",
            "status",
            "anomaly_score",
        ]

    def get_month(self, signal) -> str:
        return f"{signal.month:%Y-%m}"


def violation_lines_already_recorded(lines, providers: dict[str, int]) -> dict[str, list[str]]:
    """The lines already stored as they are (the same push sent again without an
    Idempotency-Key): named as violations[i], these 409. Call it under the providers' locks."""
    from providers.models import Violation

    refusals: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        same = (
            Violation.objects.filter(
                provider_id=providers[line["provider_code"]],
                kind=line["kind"],
                occurred_on=line["occurred_on"],
                source=line["source"],
                evidence=line["evidence"],
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if same is not None:
            refusals[f"violations[{index}]"] = [str(ALREADY_RECORDED).format(id=same)]
    return refusals
