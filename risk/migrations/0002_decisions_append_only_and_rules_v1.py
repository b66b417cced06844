"""Review records are append-only whatever the caller, and version 1 of the rules is published.

Version 1's thresholds are written in docs/risk.md with the reason for each.
"""

from django.db import migrations
from django.utils import timezone

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION risk_riskdecision_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'risk review records are append-only (risk_riskdecision id %)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (to_jsonb(NEW) - 'decided_by_id') IS DISTINCT FROM (to_jsonb(OLD) - 'decided_by_id') THEN
        RAISE EXCEPTION 'risk review records are append-only (risk_riskdecision id %)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER risk_riskdecision_append_only
    BEFORE UPDATE ON risk_riskdecision
    FOR EACH ROW EXECUTE FUNCTION risk_riskdecision_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS risk_riskdecision_append_only ON risk_riskdecision;
DROP FUNCTION IF EXISTS risk_riskdecision_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER risk_riskdecision_append_only
BEFORE UPDATE OF id, signal_id, action, from_status, to_status, decided_at, decided_by_name,
    reason, figures ON risk_riskdecision
BEGIN
    SELECT RAISE(ABORT, 'risk review records are append-only');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS risk_riskdecision_append_only;"

V1 = {
    "gmv_spike_refund_surge": {"z": "3.5", "refund_points": "0.05"},
    "spike_after_grant": {"z": "3.5", "months_after": "2"},
    "refund_surge_after_spike": {"z": "3.5", "refund_points": "0.05"},
    "order_value_collapse": {"z": "3.5", "drop": "0.5"},
    "trust_card_claims": {"z": "3.5", "ratio": "4", "min_orders": "1000", "min_claims": "5"},
    "linked_providers": {},
}


def seed(apps, schema_editor):
    """Version 1 of the rules, published; idempotent (tests/reference_data.py re-runs it)."""
    RiskRuleSet = apps.get_model("risk", "RiskRuleSet")
    RiskRule = apps.get_model("risk", "RiskRule")
    rule_set, created = RiskRuleSet.objects.get_or_create(
        version=1,
        defaults={
            "status": "published",
            "published_at": timezone.now(),
            "note": "第一版：稳健 z 值（中位数绝对偏差）在层级 × 月份内比较，阈值 3.5。",
        },
    )
    if created:
        RiskRule.objects.bulk_create(
            RiskRule(rule_set=rule_set, kind=kind, parameters=parameters)
            for kind, parameters in V1.items()
        )


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP, params=None)
    seed(apps, schema_editor)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN, params=None)
    apps.get_model("risk", "RiskRuleSet").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
