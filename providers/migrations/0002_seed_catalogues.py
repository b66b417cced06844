from django.db import migrations

PROVIDER_TYPES = [
    ("store_operation", "代运营", "store operation"),
    ("streamer_agency", "主播机构（MCN）", "streamer agency (MCN)"),
    ("live_base", "直播基地", "live-stream base"),
    ("supply_chain", "供应链服务商", "supply-chain provider"),
    ("marketing", "营销服务商", "marketing provider"),
    ("training", "培训服务商", "training provider"),
]
REGIONS = [
    ("east", "华东", "East China"),
    ("south", "华南", "South China"),
    ("north", "华北", "North China"),
    ("central", "华中", "Central China"),
    ("southwest", "西南", "Southwest China"),
    ("northwest", "西北", "Northwest China"),
    ("northeast", "东北", "Northeast China"),
]
ROLE_GROUPS = ["项目管理员", "审核员", "区域经理", "财务", "审计员"]


def seed(apps, schema_editor):
    ProviderType = apps.get_model("providers", "ProviderType")
    Region = apps.get_model("providers", "Region")
    Group = apps.get_model("auth", "Group")
    for code, name, name_en in PROVIDER_TYPES:
        ProviderType.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})
    for code, name, name_en in REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})
    # Permissions are attached after migrate (providers.apps), once every app's exist.
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
