import datetime

import factory

from evaluations.models import (
    EvaluationResult,
    EvaluationRun,
    ResultStatus,
    RunStatus,
    RunTrigger,
)
from tests.factories.providers import ProviderFactory

__all__ = ["EvaluationResultFactory", "EvaluationRunFactory"]


class EvaluationRunFactory(factory.django.DjangoModelFactory):
    """A closed run by default; EvaluationRunFactory(status=RunStatus.RUNNING) for an active one."""

    class Meta:
        model = EvaluationRun

    kind = "scoring"
    period = datetime.date(2025, 6, 1)
    as_of = datetime.date(2025, 6, 30)
    status = RunStatus.SUCCEEDED
    trigger = RunTrigger.COMMAND
    batch_size = 200


class EvaluationResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationResult

    run = factory.SubFactory(EvaluationRunFactory)
    kind = factory.SelfAttribute("run.kind")
    period = factory.SelfAttribute("run.period")
    provider = factory.SubFactory(ProviderFactory)
    status = ResultStatus.SUCCEEDED
    detail = factory.LazyFunction(dict)
