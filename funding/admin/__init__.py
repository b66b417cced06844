"""The funding admin, in Chinese, one module per model group: tiers, pools and policies,
proposals, the ledger. Every decision goes through a service; the ledger is read-only.
Importing the package registers them all; the names stay importable from `funding.admin`."""

from funding.admin.common import ReadOnlyAdmin
from funding.admin.ledger import DisbursementRequestAdmin, LedgerEntryAdmin
from funding.admin.pools import (
    AllocationPolicyAdmin,
    PoolAdmin,
    ResponsePriorInline,
    TierBudgetInline,
    TierPolicyInline,
)
from funding.admin.proposals import (
    ProposalAdmin,
    ProposalEditAdmin,
    ProposalLineAdmin,
    ProposalLineInline,
)
from funding.admin.tiers import (
    PendingDemotionAdmin,
    TierAdmin,
    TierAssessmentAdmin,
    TierChangeAdmin,
    TierMembershipAdmin,
)

__all__ = [
    "AllocationPolicyAdmin",
    "DisbursementRequestAdmin",
    "LedgerEntryAdmin",
    "PendingDemotionAdmin",
    "PoolAdmin",
    "ProposalAdmin",
    "ProposalEditAdmin",
    "ProposalLineAdmin",
    "ProposalLineInline",
    "ReadOnlyAdmin",
    "ResponsePriorInline",
    "TierAdmin",
    "TierAssessmentAdmin",
    "TierBudgetInline",
    "TierChangeAdmin",
    "TierMembershipAdmin",
    "TierPolicyInline",
]
