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
