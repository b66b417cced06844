"""The staff lists as tables for CSV and XLSX (written safely by providers.exports)."""

from django.utils.translation import gettext as _g

from providers.exports import Table
from zaofeng.periods import format_month


def provider_list_table(providers, *, month) -> Table:
    headers = [
        _g("服务商编号"),
        _g("服务商名称"),
        _g("企业法定名称"),
        _g("统一社会信用代码"),
        _g("区域"),
        _g("服务商类型"),
        _g("生命周期状态"),
        _g("当前层级"),
        _g("近12个月净成交额（分，截至 %(month)s）") % {"month": format_month(month)},
        _g("综合评分（%(month)s）") % {"month": format_month(month)},
        _g("入驻日期"),
        _g("联系人"),
        _g("联系电话"),
    ]
    rows = (
        [
            provider.code,
            provider.name,
            provider.legal_name,
            provider.credit_code,
            provider.region.label,
            "、".join(kind.label for kind in provider.provider_types.all()),
            provider.get_status_display(),
            provider.tier_name or "",
            provider.gmv,
            provider.overall_score,
            provider.joined_on,
            provider.contact_name,
            provider.contact_phone,
        ]
        for provider in providers.iterator(chunk_size=2000)
    )
    return Table(title=_g("服务商"), headers=headers, rows=rows)


def application_queue_table(applications) -> Table:
    headers = [
        _g("申请编号"),
        _g("服务商名称"),
        _g("统一社会信用代码"),
        _g("所在区域"),
        _g("申请状态"),
        _g("提交时间"),
        _g("预审通过"),
        _g("软性得分"),
        _g("未通过的标准"),
        _g("材料数"),
        _g("审核人"),
    ]
    rows = (
        [
            application.number,
            application.company_name,
            application.credit_code,
            application.region.label,
            application.get_status_display(),
            application.submitted_at,
            application.prescreen_passed,
            application.prescreen_soft_score,
            "；".join(
                row.sentence for row in application.prescreen_results.all() if not row.passed
            ),
            len(application.documents.all()),
            application.reviewer.get_username() if application.reviewer else "",
        ]
        for application in applications
    )
    return Table(title=_g("待审核入驻申请"), headers=headers, rows=rows)
