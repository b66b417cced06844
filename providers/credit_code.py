"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

Eighteen characters: registration authority, entity type, six-digit division code, nine-character
organisation code, and a check character computed over the first seventeen.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# I, O, S, V and Z are left out of the alphabet so that they are never mistaken for digits.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

MESSAGE_LENGTH = _("统一社会信用代码应为 18 位，当前为 %(length)d 位。")
MESSAGE_CHARACTERS = _(
    "统一社会信用代码只能包含数字和大写字母（不含 I、O、S、V、Z），且第 3–8 位为行政区划码。"
)
MESSAGE_CHECK = _("统一社会信用代码校验位错误：第 18 位应为 %(expected)s，实际为 %(actual)s。")


def check_character(first_seventeen: str) -> str:
    total = sum(
        ALPHABET.index(char) * weight for char, weight in zip(first_seventeen, WEIGHTS, strict=True)
    )
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Refuses a code with the wrong length, alphabet or check character, saying which."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(MESSAGE_LENGTH, code="length", params={"length": len(code)})
    if not SHAPE.match(code):
        raise ValidationError(MESSAGE_CHARACTERS, code="characters")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            MESSAGE_CHECK, code="check", params={"expected": expected, "actual": code[17]}
        )


def complete_credit_code(first_seventeen: str) -> str:
    """Appends the check character; used by demo data and factories."""
    return first_seventeen + check_character(first_seventeen)
