"""A small closed-loop HTTP load generator shared by the benchmarks.

Several processes, each with threads, keep ``clients`` requests in flight in total;
every request's latency is recorded. Bounded by a request count and a deadline.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import threading
import time
from typing import Callable

import requests


def _worker(url: str, threads: int, per_thread: int, make_body: Callable, offset: int,
            deadline: float, out: mp.Queue, headers: dict | None = None) -> None:
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def loop(thread_index: int) -> None:
        session = requests.Session()
        session.headers.update(headers or {})
        local = []
        for i in range(per_thread):
            if time.time() > deadline:
                break
            body = make_body(offset + thread_index * per_thread + i)
            started = time.perf_counter()
            try:
                status = session.post(url, json=body, timeout=30).status_code
            except requests.RequestException:
                status = 0
            local.append((time.perf_counter() - started, status))
        with lock:
            results.extend(local)

    pool = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put(results)


def run(url: str, clients: int, requests_per_client: int, make_body: Callable,
        processes: int = 4, max_seconds: float = 120, headers: dict | None = None) -> dict:
    """Fire the load; return requests/s, latency percentiles (ms), status counts and the
    CPU seconds the load generator itself used (it shares the machine with the server)."""
    processes = min(processes, clients)
    threads = clients // processes
    queue: mp.Queue = mp.Queue()
    deadline = time.time() + max_seconds
    workers = [mp.Process(target=_worker, args=(url, threads, requests_per_client, make_body,
                                                p * threads * requests_per_client, deadline, queue,
                                                headers))
               for p in range(processes)]
    cpu_before = os.times()
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    results = []
    for _ in workers:
        results.extend(queue.get())
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    cpu_after = os.times()
    latencies = sorted(r[0] * 1000 for r in results)
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "requests": len(results),
        "rps": len(results) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "statuses": statuses,
        "client_cpu": (cpu_after.children_user + cpu_after.children_system
                       - cpu_before.children_user - cpu_before.children_system),
    }
