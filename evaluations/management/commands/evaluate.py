"""`manage.py evaluate --kind KIND --period YYYY-MM [--wait] [--inline]`."""

import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from evaluations.kinds import kinds_all
from evaluations.models import RunStatus, RunTrigger
from evaluations.selectors import RunProgress, run_progress
from evaluations.services.runs import QueueUnavailable, evaluation_start
from zaofeng.periods import PeriodError, format_month, parse_month

POLL_SECONDS = 0.5
BAR_WIDTH = 30
ERRORS_SHOWN = 10


def progress_line(progress: RunProgress, *, width: int = BAR_WIDTH) -> str:
    """A one-line progress bar with the counts, e.g. `[#####-----]  50%  500/1000 …`."""
    filled = progress.percent * width // 100
    bar = "#" * filled + "-" * (width - filled)
    return (
        f"[{bar}] {progress.percent:3d}%  {progress.processed}/{progress.providers_total} 服务商  "
        f"完成 {progress.providers_done}  失败 {progress.providers_failed}  "
        f"状态 {RunStatus(progress.status).label}"
    )


class Command(BaseCommand):
    help = (
        "Starts an evaluation run of a kind for a month: on the workers, or here with --inline. "
        "--wait follows it to the end with a progress bar. Exits non-zero if it is refused or "
        "any provider failed."
    )

    def add_arguments(self, parser):
        names = [kind.name for kind in kinds_all()]
        parser.add_argument("--kind", required=True, help=f"One of: {', '.join(names)}.")
        parser.add_argument("--period", required=True, help="The month, YYYY-MM.")
        parser.add_argument(
            "--wait", action="store_true", help="Follow the run to the end with a progress bar."
        )
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Run the batches in this process instead of on the workers (no Redis needed).",
        )
        parser.add_argument("--batch-size", type=int, default=None, help="Providers per batch.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="With --wait: give up after this many seconds.",
        )

    def handle(self, *args, kind, period, wait, inline, batch_size, timeout, **options):
        try:
            month = parse_month(period)
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        show = self._show_progress if (wait or inline) else None
        if inline:
            self.stdout.write(f"在本进程内运行评估：{kind} {format_month(month)}")
        try:
            run = evaluation_start(
                kind=kind,
                month=month,
                trigger=RunTrigger.COMMAND,
                inline=inline,
                batch_size=batch_size,
                progress=show,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except QueueUnavailable as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(f"评估任务 #{run.pk}：{kind} {format_month(month)}")
        if not (wait or inline):
            self.stdout.write(
                f"已排队；查看进度：manage.py evaluate 的 --wait，或管理后台的评估任务 #{run.pk}。"
            )
            return
        progress = run_progress(run_id=run.pk)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not progress.finished:
            if deadline is not None and time.monotonic() > deadline:
                self._end_line()
                raise CommandError(f"等待超时：评估任务 #{run.pk} 仍在 {progress.status}。")
            time.sleep(POLL_SECONDS)
            progress = run_progress(run_id=run.pk)
            self._show_progress(progress)
        self._show_progress(progress)
        self._end_line()
        self._report(progress)

    def _show_progress(self, progress: RunProgress) -> None:
        line = progress_line(progress)
        if getattr(self, "_last_line", None) == line:
            return
        self._last_line = line
        if self._interactive():
            self.stdout.write("\r" + line, ending="")
            self.stdout.flush()
        else:
            self.stdout.write(line)

    def _end_line(self) -> None:
        if self._interactive():
            self.stdout.write("")

    def _interactive(self) -> bool:
        stream = getattr(self.stdout, "_out", sys.stdout)
        return bool(getattr(stream, "isatty", lambda: False)())

    def _report(self, progress: RunProgress) -> None:
        self.stdout.write(
            f"共 {progress.providers_total} 个服务商：完成 {progress.providers_done}，"
            f"失败 {progress.providers_failed}；状态：{RunStatus(progress.status).label}"
        )
        for error in progress.errors[:ERRORS_SHOWN]:
            where = " ".join(f"{k}={v}" for k, v in error.items() if k not in {"error", "at"})
            self.stderr.write(f"  {where} {error.get('error', '')}".rstrip())
        if progress.status != RunStatus.SUCCEEDED:
            raise CommandError(
                f"评估任务 #{progress.run_id} {RunStatus(progress.status).label}："
                f"{progress.providers_failed} 个服务商失败。"
            )
