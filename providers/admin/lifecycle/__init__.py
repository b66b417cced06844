"""Admin for the lifecycle, one module per model group: criteria sets, applications, decisions
(records, exit evaluations, revocations, the provider actions) and appeals with rectification
plans. Thin, calling services. Importing the package registers them all."""

from providers.admin.lifecycle import appeals, applications, criteria, decisions
from providers.admin.lifecycle.criteria import results_table
from providers.admin.lifecycle.decisions import (
    ProviderDecisionInline,
    ReadOnlyAdmin,
    provider_actions,
)

__all__ = [
    "ProviderDecisionInline",
    "ReadOnlyAdmin",
    "appeals",
    "applications",
    "criteria",
    "decisions",
    "provider_actions",
    "results_table",
]
