from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

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
