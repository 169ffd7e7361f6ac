#!/usr/bin/env python3
"""First figures for a single Tarn node (before the full bench/ tooling of issue #4 exists).

  1. Streaming ingestion of CSV with 10 columns, from 1 client and from 8 concurrent clients:
     rows/s and MB/s over the whole run (every request acknowledged).
  2. `summarize count(), avg(temp) by bin(ts, 1h), device` over N rows (default 10 million),
     hot: median of 5 runs after one warm-up.

Needs only the Python standard library and a running tarnd:
  python3 bench/first_figures.py --url http://127.0.0.1:8080 [--rows 10000000]
Request bodies are generated once up front, so the client's own cost is sending bytes.
"""
import argparse
import concurrent.futures
import json
import os
import platform
import random
import statistics
import time
import urllib.request

DB = "NetDefaultDB"
COLUMNS = "ts:datetime, device:string, fleet:string, temp:real, humidity:real, pressure:real, lat:real, lon:real, speed:long, status:string"


def post(url, path, body, content_type="application/json"):
    request = urllib.request.Request(url + path, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.read()


def mgmt(url, csl):
    return json.loads(post(url, "/v1/rest/mgmt", json.dumps({"db": DB, "csl": csl}).encode()))


def query(url, csl):
    return json.loads(post(url, "/v2/rest/query", json.dumps({"db": DB, "csl": csl}).encode()))


def make_body(seed, rows, start_seconds):
    rng = random.Random(seed)
    lines = []
    for i in range(rows):
        millis = i * 50  # 20 readings per second
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start_seconds + millis // 1000)) + f".{millis % 1000:03d}Z"
        device = f"dev-{rng.randrange(1000):04d}"
        lines.append(
            f"{ts},{device},fleet-{rng.randrange(10)},{rng.uniform(-10, 40):.2f},{rng.uniform(0, 100):.1f},"
            f"{rng.uniform(950, 1050):.1f},{rng.uniform(-90, 90):.5f},{rng.uniform(-180, 180):.5f},{rng.randrange(130)},ok\n"
        )
    return "".join(lines).encode()


def ingest_run(url, table, clients, bodies, rows_per_body, requests_per_client):
    def client(index):
        for r in range(requests_per_client):
            body = bodies[(index + r) % len(bodies)]
            post(url, f"/v1/rest/ingest/{DB}/{table}?streamFormat=csv", body, "text/csv")
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - started
    rows = clients * requests_per_client * rows_per_body
    size = clients * requests_per_client * len(bodies[0])
    return rows, elapsed, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows for the summarize figure")
    parser.add_argument("--batch", type=int, default=50_000, help="rows per ingest request")
    args = parser.parse_args()
    url = args.url.rstrip("/")

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    bodies = [make_body(seed, args.batch, 1_700_000_000 + seed * args.batch // 20) for seed in range(8)]
    print(f"request body: {args.batch} rows, {len(bodies[0]) / 1e6:.1f} MB of CSV, 10 columns")

    results = {}
    for clients, requests in ((1, 20), (8, 5)):
        table = f"Ingest{clients}"
        mgmt(url, f".create table {table} ({COLUMNS})")
        rows, elapsed, size = ingest_run(url, table, clients, bodies, args.batch, requests)
        counted = query(url, f"{table} | count")
        results[clients] = rows / elapsed
        print(f"ingest, {clients} client(s): {rows} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s, {size / elapsed / 1e6:.1f} MB/s")
        del counted

    # The summarize figure: args.rows rows in Readings (8 clients, as above).
    mgmt(url, f".create table Readings ({COLUMNS})")
    requests_total = max(1, args.rows // args.batch)
    per_client = max(1, requests_total // 8)
    rows, elapsed, _ = ingest_run(url, "Readings", 8, bodies, args.batch, per_client)
    print(f"loaded Readings: {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s)")
    mgmt(url, ".merge Readings")
    kql = "Readings | summarize n = count(), avg_temp = avg(temp) by bin(ts, 1h), device"
    query(url, kql)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        query(url, kql)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"summarize by bin(ts, 1h), device over {rows:,} rows: median {median * 1000:.0f} ms ({rows / median / 1e6:.1f} M rows/s), runs {[round(t * 1000) for t in times]} ms")


if __name__ == "__main__":
    main()
