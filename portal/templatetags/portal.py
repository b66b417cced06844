from django import template

from portal.display import signed_text
from scoring.rules import number_text

register = template.Library()


@register.filter
def score(value):
    """{{ 72.50|score }} → 72.5"""
    return number_text(value)


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
