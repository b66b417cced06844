"""Benchmark: each page of the serving benchmark alone, one client, in process.

For /staff/ (program admin), /portal/ (a provider's operator) and /api/v1/providers/ (program
admin): the median of RUNS warm requests, the queries of one warm request, and with --profile
the functions that took the time (cProfile, cumulative). Besides the wall-clock time, the CPU
time of this process per request, which a shared machine's load moves far less. Prints the figures with the machine.

Run against the benchmark's database (built once with `manage.py seed_demo --providers 1000`):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zaofeng_bench \\
    CACHE_URL=redis://127.0.0.1:6379/5 \\
    .venv/bin/python benchmarks/web_pages_alone.py [--runs 15] [--profile]
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from web_serving import URLS, _django, machine, sessions_for  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--production", action="store_true", help="the production profile, as gunicorn serves it"
    )
    parser.add_argument("--url", choices=URLS, action="append", help="only these pages")
    parser.add_argument("--queries", action="store_true", help="list the queries of one request")
    args = parser.parse_args()
    if not 0 < args.runs <= 200:
        raise SystemExit("--runs in (0, 200]")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")
    headers = {}
    if args.production:
        os.environ["DJANGO_SETTINGS_MODULE"] = "zaofeng.settings.production"
        os.environ.setdefault("CACHE_URL", os.environ.get("CELERY_BROKER_URL", ""))
        os.environ.setdefault("REQUEST_LOG", "false")
        headers = {"HTTP_X_FORWARDED_PROTO": "https"}  # the load balancer's header
    _django()
    from django.db import connection
    from django.test import Client

    staff_key, provider_key = sessions_for(1)[0]
    print(machine())
    print(f"settings: {os.environ['DJANGO_SETTINGS_MODULE']}")
    print(f"one client, median of {args.runs} warm requests each")
    sys.stdout.flush()
    for url in args.url or URLS:
        client = Client(HTTP_HOST="127.0.0.1", **headers)
        client.cookies["sessionid"] = provider_key if url == "/portal/" else staff_key
        for _ in range(2):  # warm: imports, the session's activity stamp, the read cache
            assert client.get(url).status_code == 200, url
        queries = []

        def counted(execute, sql, params, many, context, queries=queries):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries.append({"sql": sql, "time": f"{time.perf_counter() - started:.4f}"})

        with connection.execute_wrapper(counted):
            client.get(url)
        times, cpu = [], []
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            assert response.status_code == 200
        # CPU time is this process's own (Django and the driver, not PostgreSQL's): on a shared
        # machine it moves far less with the load than the wall-clock time does.
        print(
            f"{url:<20} median {statistics.median(times) * 1000:6.1f} ms  "
            f"min {min(times) * 1000:6.1f} ms  CPU median {statistics.median(cpu) * 1000:6.1f} ms  "
            f"queries {len(queries)}"
        )
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(5):
                client.get(url)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
            print(out.getvalue())
        if args.queries:
            for query in queries:
                print(f"   {query['time']}s {query['sql'][:300]}")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
