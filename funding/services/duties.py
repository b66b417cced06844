"""Separation of duties: no one moves money alone.

With SEPARATION_OF_DUTIES on (the production default, docs/security.md) a proposal is approved
by someone who neither created it nor edited any of its lines, a disbursement is approved by
someone other than its requester, and (SEPARATION_OF_DUTIES_PAYER_DISTINCT, on by default) paid
by a third person. The checks run inside the services, under the same locks as the decision,
and refuse with a ValidationError naming who did what, which the admin shows as a message.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from funding.models import DisbursementRequest, Proposal, ProposalEdit

PROPOSAL_OWN_CREATION = _("职责分离：您创建了此方案，须由另一位财务人员批准。")
PROPOSAL_OWN_EDIT = _("职责分离：您修改过此方案的明细，须由另一位财务人员批准。")
DISBURSEMENT_OWN_REQUEST = _("职责分离：您提交了此发放申请，须由另一位财务人员审批。")
DISBURSEMENT_PAYER_REQUESTED = _("职责分离：您提交了此发放申请，须由另一位财务人员支付。")
DISBURSEMENT_PAYER_APPROVED = _("职责分离：您审批了此发放申请，须由另一位财务人员支付。")


def duties_separated() -> bool:
    return settings.SEPARATION_OF_DUTIES


def proposal_approver_check(*, proposal: Proposal, by) -> None:
    if not duties_separated():
        return
    if proposal.created_by_id is not None and proposal.created_by_id == by.pk:
        raise ValidationError({"approved_by": PROPOSAL_OWN_CREATION})
    if ProposalEdit.objects.filter(line__proposal_id=proposal.pk, edited_by=by).exists():
        raise ValidationError({"approved_by": PROPOSAL_OWN_EDIT})


def disbursement_approver_check(*, request: DisbursementRequest, by) -> None:
    if duties_separated() and request.requested_by_id == by.pk:
        raise ValidationError({"approved_by": DISBURSEMENT_OWN_REQUEST})


def disbursement_payer_check(*, request: DisbursementRequest, by) -> None:
    if not (duties_separated() and settings.SEPARATION_OF_DUTIES_PAYER_DISTINCT):
        return
    if request.requested_by_id == by.pk:
        raise ValidationError({"paid_by": DISBURSEMENT_PAYER_REQUESTED})
    if request.approved_by_id == by.pk:
        raise ValidationError({"paid_by": DISBURSEMENT_PAYER_APPROVED})
