"""Serializer fields shared by every API: strict JSON types, query parameters, months.

The fields here accept exactly what the OpenAPI schema says they accept, so that a request that
conforms to the schema never gets a 400 and one that does not never gets through: a string field
refuses a number, an integer field refuses "5", a boolean field refuses "yes".
"""

import math
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from zaofeng.periods import format_month, parse_month

MESSAGE_BLANK_PARAMETER = _("该参数不能为空；不需要时请省略。")
MESSAGE_NOT_TEXT = _("应为字符串。")
MESSAGE_NOT_INTEGER = _("应为整数。")
MESSAGE_NOT_BOOLEAN = _("应为 true 或 false。")
MESSAGE_NUL = _("不能包含空字符（\\x00）。")
MESSAGE_NOT_NUMBER = _("应为数字或数字文本。")

# Written into the schema as a pattern, so the schema says what DRF's own NUL check refuses.
NO_NUL_PATTERN = r"^[^\x00]*$"


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


def _ends_in_newline(text: str) -> bool:
    # Python's `$` also matches before a final newline; the schema's (ECMA) `$` does not.
    return text.endswith("\n")


class MonthField(serializers.RegexField):
    """A calendar month written YYYY-MM, read as the date of its first day; taken as sent."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "YYYY-MM")
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(MONTH_PATTERN, error_messages={"invalid": MESSAGE_MONTH}, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or _ends_in_newline(data):
            self.fail("invalid")
        return super().to_internal_value(data)

    def run_validation(self, data=serializers.empty):
        # The pattern validates the text; only then does it become a date.
        value = super().run_validation(data)
        if value in (None, "", serializers.empty):
            return value
        return parse_month(value)

    def to_representation(self, value):
        return format_month(value)


class WholeRegexValidator(RegexValidator):
    """The pattern must match the whole text, as the schema's does: Python's `$` also matches
    before a final newline, JSON Schema's does not."""

    def __call__(self, value):
        if not self.regex.fullmatch(str(value)):
            raise ValidationError(self.message, code=self.code, params={"value": value})


class TextField(serializers.CharField):
    """A JSON string taken as sent (no trimming); a required one may not be empty.

    The lengths and the pattern (by default: no NUL character, which DRF refuses) appear in the
    schema as minLength, maxLength and pattern; the pattern is matched whole, as the schema's.
    """

    default_error_messages = {"not_text": MESSAGE_NOT_TEXT, "pattern": _("格式不正确。")}

    def __init__(self, *, pattern: str = NO_NUL_PATTERN, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        if not kwargs.get("allow_blank") and "min_length" not in kwargs:
            kwargs["min_length"] = 1
        super().__init__(**kwargs)
        message = MESSAGE_NUL if pattern == NO_NUL_PATTERN else self.error_messages["pattern"]
        self.validators.append(WholeRegexValidator(pattern, message=message))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


class SlugTextField(TextField):
    """A catalogue code (slug): exactly what the schema's pattern allows."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(pattern=SLUG_PATTERN, **kwargs)


class QueryIntegerField(serializers.IntegerField):
    """A whole number in a query string: digits only, no sign, spaces or decimal point."""

    def to_internal_value(self, data):
        if not (isinstance(data, str) and re.fullmatch(r"[0-9]{1,18}", data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class WholeNumberField(serializers.IntegerField):
    """A JSON integer: text such as "5" and booleans are refused; 5.0 counts as 5."""

    default_error_messages = {"not_integer": MESSAGE_NOT_INTEGER}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | Decimal):
            self.fail("not_integer")
        if isinstance(data, float | Decimal) and (not math.isfinite(data) or data != int(data)):
            self.fail("not_integer")
        return super().to_internal_value(int(data))


class FlagField(serializers.BooleanField):
    """A JSON true or false; "yes", 1 and "true" are refused."""

    default_error_messages = {"not_boolean": MESSAGE_NOT_BOOLEAN}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("not_boolean")
        return data


class ChoiceLabelField(serializers.CharField):
    """The label of a choice field's value, as the model's get_FOO_display() gives it, in the active
    language: source names the field holding the value. Output only.

    get_FOO_display() rebuilds a dictionary of every choice (translating each label) on each call,
    and DRF inspects the method's signature on each row: a page of 50 providers spent about a
    quarter of its CPU time there. The labels are looked up once per field here instead.
    """

    def __init__(self, choices_class, **kwargs):
        self.labels = dict(choices_class.choices)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(self.labels.get(value, value))


class EnumField(serializers.ChoiceField):
    """A choice of a TextChoices (or a named list), documented once as the component `name`.

    drf-spectacular names an inline enum after the field, so "status" of applications, runs and
    imports would collide; a component named after the choice set does not.
    """

    def __init__(self, choices_class=None, *, name: str | None = None, choices=None, **kwargs):
        if choices_class is not None:
            name = name or choices_class.__name__
            choices = choices_class.choices
        self.enum_name = name
        super().__init__(choices=choices if choices is not None else [], **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class CatalogueCodeField(EnumField):
    """A code of a catalogue table (provider types, regions); its choices are read when the field
    is built, so build it in a serializer's __init__, never in a class body."""

    def __init__(self, *, model, name: str, **kwargs):
        choices = list(model.objects.order_by("id").values_list("code", "code"))
        super().__init__(name=name, choices=choices, **kwargs)
