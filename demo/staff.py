"""Demo staff scoping and audited edits.

The demo region manager covers South and Southwest China (广州青禾MCN, 成都山海直播基地 and the
rest of those regions), so signing in as `regionmgr` shows a program narrowed to two regions. A
few providers' contact details were corrected by the program admin, with a reason, so their
pages show an audit-history entry beside the decisions.
"""

import random

from django.contrib.auth import get_user_model

from providers.models import LifecycleStatus, Provider, Region, StaffProfile

DEMO_REGION_MANAGER = "regionmgr"
DEMO_MANAGED_REGIONS = ("south", "southwest")
DEMO_EDITOR = "admin"
EDITED_PROVIDERS = 5
EDIT_REASON = "服务商来函更新联系人（演示）"
BASELINE_REASON = "演示数据载入"
CONTACTS = ("李娜", "张强", "刘洋", "陈静", "杨磊", "赵敏", "黄涛", "周杰")


def seed_staff(*, rng: random.Random) -> None:
    users = get_user_model().objects
    profile, _created = StaffProfile.objects.get_or_create(
        user=users.get(username=DEMO_REGION_MANAGER), defaults={"note": "演示：负责华南、西南"}
    )
    profile.regions.set(Region.objects.filter(code__in=DEMO_MANAGED_REGIONS))

    # The registry is bulk-loaded, which django-simple-history does not see: give each provider
    # without history its first version (what `populate_history` does), so that later changes
    # have something to be compared with.
    unrecorded = Provider.objects.exclude(pk__in=Provider.history.values("id"))
    Provider.history.bulk_history_create(list(unrecorded), default_change_reason=BASELINE_REASON)

    editor = users.get(username=DEMO_EDITOR)
    candidates = list(Provider.objects.filter(status=LifecycleStatus.ACTIVE).order_by("code")[:50])
    for provider in rng.sample(candidates, min(EDITED_PROVIDERS, len(candidates))):
        provider.contact_name = rng.choice(CONTACTS)
        provider.contact_phone = f"139{rng.randrange(10**8):08d}"
        # django-simple-history reads who and why from these attributes on save.
        provider._history_user = editor
        provider._change_reason = EDIT_REASON
        provider.save(update_fields=["contact_name", "contact_phone", "updated_at"])
