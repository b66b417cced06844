from django import template

from zaofeng.money import format_count_cn, format_fen_cn

register = template.Library()


@register.filter
def fen_cn(value):
    """{{ amount_fen|fen_cn }} → ¥3.2亿"""
    if value is None or value == "":
        return "—"
    return format_fen_cn(int(value))


@register.filter
def count_cn(value):
    """{{ impressions|count_cn }} → 10亿"""
    if value is None or value == "":
        return "—"
    return format_count_cn(int(value))
