import pytest
from django.core.exceptions import ValidationError

from providers.credit_code import validate_credit_code
from tests.factories import ProviderFactory

# Published codes of real companies, checked against the GB 32100-2015 check character.
VALID_CODES = ["91350100M000100Y43", "914403001922038216", "9144030071526726XG"]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91350100M000100Y44", "check"),  # wrong check character
        ("914403001922038217", "check"),
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        ("91350100M000100I43", "characters"),  # I is not in the alphabet
        ("913501X0M000100Y43", "characters"),  # the division code must be digits
    ],
)
def test_invalid_codes_are_refused_with_the_reason(code, error_code):
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(code)
    assert excinfo.value.code == error_code


def test_wrong_check_character_message_names_the_expected_character():
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code("91350100M000100Y44")
    assert "3" in excinfo.value.messages[0]


@pytest.mark.django_db
def test_provider_full_clean_names_the_credit_code_field():
    provider = ProviderFactory.build(credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as excinfo:
        provider.full_clean(exclude=["region"])
    assert "credit_code" in excinfo.value.message_dict
