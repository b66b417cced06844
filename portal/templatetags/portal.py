from django import template

from portal.display import signed_text
from scoring.rules import score_text

register = template.Library()


@register.filter
def score(value):
    """{{ 72.5|score }} → 72.50: scores are shown with two decimals everywhere."""
    return score_text(value)


@register.filter
def signed(value):
    """{{ change|signed }} → +2.5, −1, or a dash without a previous value"""
    return signed_text(value)


@register.filter
def delta_class(value):
    if value is None:
        return "none"
    if value > 0:
        return "up"
    if value < 0:
        return "down"
    return "flat"
