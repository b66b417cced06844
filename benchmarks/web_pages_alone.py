"""Benchmark: each page of the serving benchmark alone, one client, in process.

For /staff/ (program admin), /portal/ (a provider's operator) and /api/v1/providers/ (program
admin): the median of RUNS warm requests, the queries of one warm request, and with --profile
the functions that took the time (cProfile, cumulative). Prints the figures with the machine.

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
    for url in URLS:
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
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        print(
            f"{url:<20} median {statistics.median(times) * 1000:6.1f} ms  "
            f"min {min(times) * 1000:6.1f} ms  queries {len(queries)}"
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
            if os.environ.get("SHOW_QUERIES"):
                for query in queries:
                    print(f"   {query['time']}s {query['sql'][:220]}")


if __name__ == "__main__":
    main()
