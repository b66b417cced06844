"""Benchmark: the web tier under gunicorn (production profile) and under runserver, side by side.

CLIENTS concurrent signed-in clients for SECONDS each, on loopback, against the demo database;
each client is one staff user (program admin) and one provider user, and asks in turn for
/staff/, /portal/ and /api/v1/providers/. Prints throughput, p50/p95/p99 per URL and errors
(anything but 200, and connection failures), with the machine; and the CPU time the server's
processes and PostgreSQL's backends spent per request (from /proc), which other work on a shared
machine moves far less than the latency.

Run (on a database of its own, built once with `manage.py seed_demo --providers 1000`):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zaofeng_secops \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/5 \\
    .venv/bin/python benchmarks/web_serving.py --port 8107 [--seconds 60] [--clients 20] [--workers 4]

The program-scale world's staff pages (issue 13), on a clone of `program_world.py`'s database:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zaofeng_<clone> … web_serving.py \
        --only gunicorn --urls /staff/,/api/v1/program/progress/
"""

import argparse
import http.client
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
URLS = ["/staff/", "/portal/", "/api/v1/providers/"]


BENCH_SECRET_KEY = "benchmark-only-secret-key-0123456789abcdef"  # noqa: S105 - loopback only


def _django():
    # Both servers and this script sign sessions with the same key.
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zaofeng.settings.base")
    import django

    django.setup()


def sessions_for(clients: int) -> list[tuple[str, str]]:
    """(staff session key, provider session key) per client, made directly in the database."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from providers.models import LifecycleStatus, Membership, MembershipRole, Provider
    from providers.roles import Role

    users = get_user_model()
    group = Group.objects.get(name=Role.PROGRAM_ADMIN.group_name)
    providers = list(
        Provider.objects.filter(status=LifecycleStatus.ACTIVE).order_by("code")[:clients]
    )
    if len(providers) < clients:
        raise SystemExit("seed the demo first: manage.py seed_demo --providers 1000")

    def session(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    pairs = []
    for n in range(clients):
        staff, _ = users.objects.get_or_create(
            username=f"bench-staff-{n}", defaults={"is_staff": True}
        )
        staff.groups.add(group)
        owner, _ = users.objects.get_or_create(username=f"bench-operator-{n}")
        Membership.objects.get_or_create(
            user=owner, provider=providers[n], defaults={"role": MembershipRole.OPERATOR}
        )
        pairs.append((session(staff), session(owner)))
    return pairs


def wait_up(base: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            requests.get(f"{base}/healthz", timeout=5, headers={"X-Forwarded-Proto": "https"})
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise SystemExit("server did not come up")


def _http_client(base: str):
    """One keep-alive connection per client: http.client costs the load generator (which shares
    the cores with the server) far less CPU per request than requests does. A server that closes
    the connection (gunicorn's sync workers do after every response) is reconnected to."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def get(path: str, headers: dict) -> int:
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.will_close:
                connection.close()
            return response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            raise

    return get


# ------------------------------------------------------------------------------
# CPU accounting: on a shared machine the latency moves with everyone else's work, the CPU time
# the server's own processes spend per request much less.
# ------------------------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the state on (3rd)


def _own_and_reaped_cpu(fields: list[str]) -> float:
    # utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat
    return sum(int(value) for value in fields[11:15]) / _TICK


def _own_cpu(fields: list[str]) -> float:
    return sum(int(value) for value in fields[11:13]) / _TICK


def _process_cpu(process) -> float | None:
    fields = _proc_stat(process.pid)
    return None if fields is None else _own_cpu(fields)


def gunicorn_workers(master: int) -> set[int]:
    return {
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and (fields := _proc_stat(int(entry.name))) is not None
        and int(fields[1]) == master
    }


def gunicorn_cpu(master: int) -> float | None:
    """The CPU seconds gunicorn has spent so far: the master, its live workers, and (through the
    master's children's time) every worker it has reaped, recycled ones included."""
    fields = _proc_stat(master)
    if fields is None:
        return None
    total = _own_and_reaped_cpu(fields)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            child = _proc_stat(int(entry.name))
            if child is not None and int(child[1]) == master:
                total += _own_cpu(child)
    return total


class PostgresCpu:
    """The CPU seconds of PostgreSQL's backends serving one database, sampled twice a second
    (a backend's time is only readable while it lives; one that ends loses < 0.5 s)."""

    def __init__(self, database: str):
        self.marker = f" {database} "
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()

    def _sample(self):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres:") and self.marker in title:
                fields = _proc_stat(int(entry.name))
                if fields is not None:
                    pid = int(entry.name)
                    self.first.setdefault(pid, _own_cpu(fields))
                    self.last[pid] = _own_cpu(fields)

    def __enter__(self):
        self._sample()

        def run():
            while not self.stop.wait(0.5):
                self._sample()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def _session_for(url: str, staff_key: str, provider_key: str) -> str:
    """The portal's pages are a provider member's; every other URL is asked by staff."""
    return provider_key if url.startswith("/portal/") else staff_key


def load(base: str, pairs, seconds: float, headers: dict) -> dict:
    results = {url: [] for url in URLS}
    errors = {url: 0 for url in URLS}
    codes: dict = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(staff_key: str, provider_key: str):
        get = _http_client(base)
        cookies = {url: f"sessionid={_session_for(url, staff_key, provider_key)}" for url in URLS}
        n = 0
        while time.monotonic() < stop_at:  # bounded by the clock
            url = URLS[n % len(URLS)]
            n += 1
            started = time.perf_counter()
            try:
                code = get(url, {**headers, "Cookie": cookies[url]})
                ok = code == 200
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                code = type(exc).__name__
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    results[url].append(elapsed)
                else:
                    errors[url] += 1
                    codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=client, args=pair) for pair in pairs]
    begun = time.monotonic()
    cpu_begun = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "elapsed": time.monotonic() - begun,
        "client_cpu": time.process_time() - cpu_begun,
        "results": results,
        "errors": errors,
        "codes": codes,
    }


def alone(base: str, pair, headers: dict, runs: int = 15) -> list[str]:
    """Each page alone through the server, one client, sequential: the median of runs."""
    get = _http_client(base)
    staff_key, provider_key = pair
    lines = []
    for url in URLS:
        cookie = f"sessionid={_session_for(url, staff_key, provider_key)}"
        times = []
        for _ in range(runs + 2):
            started = time.perf_counter()
            code = get(url, {**headers, "Cookie": cookie})
            times.append(time.perf_counter() - started)
            if code != 200:
                raise SystemExit(f"{url} answered {code}")
        times = times[2:]  # warm
        lines.append(
            f"  alone {url:<20} median {statistics.median(times) * 1000:6.0f} ms  "
            f"min {min(times) * 1000:6.0f} ms"
        )
    return lines


def _pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def report(name: str, outcome: dict) -> list[str]:
    lines = []
    total_ok = sum(len(v) for v in outcome["results"].values())
    total_err = sum(outcome["errors"].values())
    everything = [x for v in outcome["results"].values() for x in v]
    lines.append(
        f"{name}: {total_ok + total_err} requests in {outcome['elapsed']:.1f} s = "
        f"{(total_ok + total_err) / outcome['elapsed']:.1f} req/s; errors {total_err}; "
        f"all p50 {_pct(everything, 50):.0f} ms, p95 {_pct(everything, 95):.0f} ms, "
        f"p99 {_pct(everything, 99):.0f} ms"
        + (f"; error kinds {outcome['codes']}" if total_err else "")
        + f"; load generator CPU {outcome['client_cpu'] * 1000 / max(1, total_ok + total_err):.1f} ms/request"
    )
    if outcome.get("server_cpu") is not None:
        requests_made = max(1, total_ok + total_err)
        lines.append(
            f"  server CPU per request: web processes {outcome['server_cpu'] * 1000 / requests_made:.1f} ms, "
            f"PostgreSQL backends {outcome['database_cpu'] * 1000 / requests_made:.1f} ms"
            + (
                f"; workers started during the run (recycled): {outcome['workers_started']}"
                if name.startswith("gunicorn")
                else ""
            )
        )
    for url in URLS:
        values = outcome["results"][url]
        lines.append(
            f"  {url:<20} {len(values):>6} ok {outcome['errors'][url]:>4} errors  "
            f"p50 {_pct(values, 50):>6.0f} ms  p95 {_pct(values, 95):>6.0f} ms  "
            f"p99 {_pct(values, 99):>6.0f} ms  mean {statistics.fmean(values) * 1000 if values else float('nan'):>6.0f} ms"
        )
    return lines


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load1 = os.getloadavg()[0]
    return f"machine: {cpu}, nproc {os.cpu_count()}, load average at start {load1:.1f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1)),
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("GUNICORN_THREADS", 1)),
        help="threads per gunicorn worker (more than 1: the gthread worker, with keep-alive)",
    )
    parser.add_argument("--only", choices=["gunicorn", "runserver"])
    parser.add_argument(
        "--urls",
        default=",".join(URLS),
        help="comma-separated paths asked in turn (portal paths with the provider's session)",
    )
    args = parser.parse_args()
    URLS[:] = [url for url in args.urls.split(",") if url]
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 100:
        raise SystemExit("--seconds in (0, 600], --clients in (0, 100]")
    _django()
    pairs = sessions_for(args.clients)
    from django.db import connection

    database = connection.settings_dict["NAME"]
    connection.close()  # so that the database's backends are the servers' alone
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ}  # after _django(): carries SECRET_KEY
    servers = {
        "gunicorn": (
            [str(ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py"],
            {
                **env,
                "DJANGO_SETTINGS_MODULE": "zaofeng.settings.production",
                "SECRET_KEY": os.environ["SECRET_KEY"],
                "ALLOWED_HOSTS": "127.0.0.1",
                "CACHE_URL": env.get("CACHE_URL", env.get("CELERY_BROKER_URL", "")),
                "GUNICORN_BIND": f"127.0.0.1:{args.port}",
                "WEB_CONCURRENCY": str(args.workers),
                "GUNICORN_THREADS": str(args.threads),
                "REQUEST_LOG": "false",
                "PROMETHEUS_MULTIPROC_DIR": str(ROOT / "var" / "bench-prometheus"),
                "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
            },
            # the load balancer's header: production redirects plain HTTP
            {"X-Forwarded-Proto": "https"},
        ),
        "runserver": (
            [
                str(ROOT / ".venv/bin/python"),
                "manage.py",
                "runserver",
                f"127.0.0.1:{args.port}",
                "--noreload",
            ],
            {**env, "DJANGO_SETTINGS_MODULE": "zaofeng.settings.base"},
            {},
        ),
    }
    print(machine())
    print(f"{args.clients} clients × {args.seconds:.0f} s, URLs in turn: {', '.join(URLS)}")
    for name, (command, server_env, headers) in servers.items():
        if args.only and name != args.only:
            continue
        if name == "gunicorn":
            subprocess.run([str(ROOT / "bin/collectstatic")], env=server_env, cwd=ROOT, check=True)  # noqa: S603 - our own script
        process = subprocess.Popen(  # noqa: S603 - our own server command
            command, env=server_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_up(base, process)
            print(f"{name}: load average before {os.getloadavg()[0]:.1f}")
            print("\n".join(alone(base, pairs[0], headers)))
            # a warm-up pass with every client, so that each worker's first requests (imports,
            # templates, catalogues) do not count
            load(base, pairs, 5, headers)
            cpu_before = gunicorn_cpu(process.pid) if name == "gunicorn" else _process_cpu(process)
            workers_before = gunicorn_workers(process.pid)
            with PostgresCpu(database) as database_cpu:
                outcome = load(base, pairs, args.seconds, headers)
            cpu_after = gunicorn_cpu(process.pid) if name == "gunicorn" else _process_cpu(process)
            if cpu_before is not None and cpu_after is not None:
                outcome["server_cpu"] = cpu_after - cpu_before
                outcome["database_cpu"] = database_cpu.seconds
            outcome["workers_started"] = len(gunicorn_workers(process.pid) - workers_before)
            load_after = os.getloadavg()[0]
        finally:
            process.terminate()
            process.wait(timeout=30)
        label = (
            f"gunicorn ({args.workers} workers × {args.threads} threads, production profile)"
            if name == "gunicorn"
            else "runserver (threaded, development profile)"
        )
        print("\n".join(report(label, outcome)))
        print(f"{name}: load average at the end {load_after:.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
