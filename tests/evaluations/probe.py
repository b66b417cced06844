"""A test-only kind of evaluation run, "probe": one result per provider, no other app's service.

It is told what to do by a JSON control file named by $EVALUATIONS_PROBE_CONTROL, so that tests
can steer it both in this process and in worker processes:
  sleep               seconds each batch takes
  fail_batches        batch numbers that raise on every attempt
  fail_attempts       batches raise on their first n attempts (then succeed)
  fail_providers      provider ids reported failed (the batch itself succeeds)
  cpu_ms_per_provider CPU work per provider, for the benchmark
"""

import hashlib
import json
import os
import time
from pathlib import Path

from evaluations.kinds import Kind, ProviderOutcome, kind_register, program_providers

PROBE = "probe"
CONTROL_ENV = "EVALUATIONS_PROBE_CONTROL"
WORKER_NAME_ENV = "EVALUATIONS_PROBE_WORKER"


class ProbeFailure(RuntimeError):
    pass


def probe_control() -> dict:
    path = os.environ.get(CONTROL_ENV)
    if not path or not Path(path).exists():
        return {}
    return json.loads(Path(path).read_text())


def probe_batch(*, run, provider_ids):
    from evaluations.models import BatchStatus, EvaluationBatch

    control = probe_control()
    batch = EvaluationBatch.objects.get(
        run=run, provider_ids=list(provider_ids), status=BatchStatus.PENDING
    )
    if control.get("sleep"):
        time.sleep(float(control["sleep"]))
    if batch.number in control.get("fail_batches", []):
        raise ProbeFailure(f"probe told to fail batch {batch.number}")
    if batch.attempts <= int(control.get("fail_attempts", 0)):
        raise ProbeFailure(f"probe told to fail attempt {batch.attempts}")
    cpu_ms = float(control.get("cpu_ms_per_provider", 0))
    failing = set(control.get("fail_providers", []))
    worker = os.environ.get(WORKER_NAME_ENV) or f"pid-{os.getpid()}"
    outcomes = {}
    for pid in provider_ids:
        if cpu_ms:
            _burn(cpu_ms / 1000)
        if pid in failing:
            outcomes[pid] = ProviderOutcome(ok=False, detail={"error": "probe told to fail"})
        else:
            outcomes[pid] = ProviderOutcome(
                ok=True, detail={"worker": worker, "batch": batch.number, "attempt": batch.attempts}
            )
    return outcomes


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    digest = b"zaofeng"
    while time.process_time() < end:
        digest = hashlib.sha256(digest).digest()


def probe_register(**overrides) -> Kind:
    fields = {
        "name": PROBE,
        "label": "探针",
        "providers": program_providers,
        "run_batch": probe_batch,
    }
    return kind_register(Kind(**{**fields, **overrides}))
