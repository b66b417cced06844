from django import template

from providers.access import is_program_staff
from staff.navigation import staff_navigation

register = template.Library()


@register.inclusion_tag("staff/_nav.html", takes_context=True)
def staff_nav(context, current: str = "", with_counts: bool = True):
    """{% staff_nav section %}: the staff navigation for the signed-in user, `current` marked."""
    user = context["request"].user
    return {
        # A staff flag without a role opens no staff page: nothing to lead to.
        "entries": staff_navigation(user=user, with_counts=with_counts)
        if is_program_staff(user)
        else (),
        "current": current,
    }


@register.filter
def elided_pages(paginator, number):
    """{% for n in page.paginator|elided_pages:page.number %}: 1 … 4 5 [6] 7 8 … 20"""
    return paginator.get_elided_page_range(number, on_each_side=2, on_ends=1)
