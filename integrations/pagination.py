import re

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MESSAGE_NOT_A_COUNT = _("应为不小于 %(minimum)d 的整数。")
MESSAGE_LIMIT_TOO_LARGE = _("每页最多 %(maximum)d 条。")
MESSAGE_OFFSET_TOO_LARGE = _("偏移量最大为 %(maximum)d。")


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """limit/offset pagination that refuses bad values with a 400 instead of ignoring them."""

    default_limit = 50
    max_limit = 500
    # PostgreSQL's OFFSET is a bigint; a larger number would be a server error, not a 400.
    max_offset = 2**31 - 1

    def _whole_number(self, request, name: str, *, minimum: int, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        # Digits only: int() would also take " 5", "+5" and "5_0", which the schema does not.
        if not re.fullmatch(r"[0-9]{1,18}", raw):
            raise ValidationError({name: [MESSAGE_NOT_A_COUNT % {"minimum": minimum}]})
        value = int(raw)
        if value < minimum:
            raise ValidationError({name: [MESSAGE_NOT_A_COUNT % {"minimum": minimum}]})
        return value

    def get_limit(self, request):
        limit = self._whole_number(
            request, self.limit_query_param, minimum=1, default=self.default_limit
        )
        if limit > self.max_limit:
            raise ValidationError(
                {self.limit_query_param: [MESSAGE_LIMIT_TOO_LARGE % {"maximum": self.max_limit}]}
            )
        return limit

    def get_offset(self, request):
        offset = self._whole_number(request, self.offset_query_param, minimum=0, default=0)
        if offset > self.max_offset:
            raise ValidationError(
                {self.offset_query_param: [MESSAGE_OFFSET_TOO_LARGE % {"maximum": self.max_offset}]}
            )
        return offset

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_limit})
            if parameter["name"] == self.offset_query_param:
                parameter["schema"].update({"minimum": 0, "maximum": self.max_offset})
        return parameters
