from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from integrations.serializers import EnumField, TextField, WholeNumberField
from providers.models import Provider, ViolationKind, ViolationSeverity, ViolationSource
from risk.models import RiskSignal, RuleKindChoices, SignalStatus

MAX_VIOLATIONS = 500
UNKNOWN_PROVIDER = _("没有编号为 {code} 的服务商。")
IN_THE_FUTURE = _("违规日期不能晚于今天。")


class ViolationLineSerializer(serializers.Serializer):
    provider_code = TextField(max_length=20, help_text="e.g. SP000001")
    kind = EnumField(ViolationKind)
    severity = EnumField(ViolationSeverity)
    points = WholeNumberField(min_value=0, max_value=100, help_text="penalty points, 0–100")
    occurred_on = serializers.DateField(help_text="YYYY-MM-DD, not in the future")
    source = EnumField(ViolationSource)
    evidence = TextField(max_length=2000, required=False, default="", allow_blank=True)

    def validate_provider_code(self, value):
        providers = self.context.get("providers", {})
        if value not in providers:
            raise serializers.ValidationError(str(UNKNOWN_PROVIDER).format(code=value))
        return value

    def validate(self, data):
        data["provider_id"] = self.context["providers"][data["provider_code"]]
        return data

    def validate_occurred_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(str(IN_THE_FUTURE))
        return value


class ViolationBatchInputSerializer(serializers.Serializer):
    """Violations pushed by an inspection or 匹诺曹 system; all lines or none are stored."""

    violations = serializers.ListField(
        child=ViolationLineSerializer(), min_length=1, max_length=MAX_VIOLATIONS
    )

    def to_internal_value(self, data):
        # One query for every line's provider; each line then names its own unknown code.
        lines = data.get("violations") if isinstance(data, dict) else None
        codes = {
            line.get("provider_code")
            for line in (lines if isinstance(lines, list) else [])
            if isinstance(line, dict) and isinstance(line.get("provider_code"), str)
        }
        self.context["providers"] = dict(
            Provider.objects.filter(code__in=codes).values_list("code", "pk")
        )
        return super().to_internal_value(data)


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
