from django import template

from investments.ownership import share_percent

register = template.Library()


@register.filter(name="share_percent")
def share_percent_filter(share):
    """The fund's share of a company as a percentage to one decimal, e.g. 18.5."""
    if share is None or share == "":
        return ""
    return share_percent(share)
