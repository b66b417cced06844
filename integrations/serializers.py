from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from zaofeng.periods import format_month, parse_month

MESSAGE_BLANK_PARAMETER = _("该参数不能为空；不需要时请省略。")


class QueryParametersSerializer(serializers.Serializer):
    """Validates query parameters; a parameter sent empty is an error, not silently ignored."""

    def to_internal_value(self, data):
        blank = {
            name: [MESSAGE_BLANK_PARAMETER]
            for name in self.fields
            if name in data and data.get(name) == ""
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


MONTH_PATTERN = r"^2\d{3}-(0[1-9]|1[0-2])$"
MESSAGE_MONTH = _("月份格式应为 YYYY-MM，例如 2026-09。")


class MonthField(serializers.RegexField):
    """A calendar month written YYYY-MM, read as the date of its first day."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "YYYY-MM")
        super().__init__(MONTH_PATTERN, error_messages={"invalid": MESSAGE_MONTH}, **kwargs)

    def run_validation(self, data=serializers.empty):
        # The pattern validates the text; only then does it become a date.
        value = super().run_validation(data)
        if value in (None, "", serializers.empty):
            return value
        return parse_month(value)

    def to_representation(self, value):
        return format_month(value)
