from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _g

from providers.services.sla import item_review_age, review_targets
from providers.sla import ReviewAge

register = template.Library()


def review_age_html(age: ReviewAge):
    """ "已等待 3 / 5 个工作日，… 到期", or the overdue line marked: the admin's column and the
    template tag below say it alike."""
    if age.overdue:
        return format_html(
            '<span class="verdict-fail">{}</span>',
            _g("已等待 %(age)s 个工作日，超出时限（%(target)s 个工作日）%(over)s 天")
            % {
                "age": age.age_working_days,
                "target": age.target_working_days,
                "over": age.days_over,
            },
        )
    return format_html(
        '<span class="muted">{}</span>',
        _g("已等待 %(age)s / %(target)s 个工作日，%(due)s 到期")
        % {"age": age.age_working_days, "target": age.target_working_days, "due": age.due_on},
    )


@register.simple_tag(takes_context=True)
def review_age(context, kind, arrived_at):
    """{% review_age "appeal" appeal.filed_at %} → "已等待 3/5 个工作日", marked when overdue.

    The targets are read once per page render."""
    if arrived_at is None:
        return ""
    cache = context.render_context
    if "review_targets" not in cache:
        cache["review_targets"] = review_targets()
    return review_age_html(
        item_review_age(
            kind=kind,
            arrived_at=arrived_at,
            today=timezone.localdate(),
            targets=cache["review_targets"],
        )
    )
