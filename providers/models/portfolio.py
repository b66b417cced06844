from django.db import models
from django.utils.translation import gettext_lazy as _

from providers.models.registry import Provider


class PortfolioCompany(models.Model):
    """A provider the ecosystem fund has agreed to invest in (an approved term sheet) or holds.

    The investments app writes and removes these rows through its services; they live here, below
    funding, so that the allocation and lifecycle services can refuse a conflicted approver
    without importing the investments app (providers.conflicts).
    """

    provider = models.OneToOneField(
        Provider,
        verbose_name=_("服务商"),
        on_delete=models.PROTECT,
        related_name="portfolio_company",
    )
    since = models.DateTimeField(_("纳入被投时间"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("生态基金被投服务商")
        verbose_name_plural = _("生态基金被投服务商")
        ordering = ["provider__code"]

    def __str__(self):
        return str(self.provider)
