"""A closed-loop HTTP load generator: N clients, each sending its next request as soon as the
previous answer arrives, for a fixed time. Counts every answer by status."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    name: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300) + sum(
            self.errors.values()
        )

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def summary(self) -> dict:
        return {
            "name": self.name,
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else None,
            "statuses": dict(sorted(self.statuses.items())),
            "errors": dict(self.errors),
            "non_2xx": self.non_2xx,
        }


def run_load(
    name: str,
    port: int,
    requests: Iterator[tuple[str, str, dict, dict]],
    *,
    clients: int,
    seconds: float,
    on_body: Callable[[int, bytes], None] | None = None,
) -> LoadResult:
    """`requests` yields (method, path, json body, headers); shared by all clients."""
    result = LoadResult(name, seconds)
    lock = threading.Lock()
    source = iter(requests)
    start_barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors: Counter[str] = Counter()
        start_barrier.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                try:
                    method, path, body, headers = next(source)
                except StopIteration:
                    break
            payload = json.dumps(body).encode()
            started = time.perf_counter()
            try:
                connection.request(
                    method,
                    path,
                    body=payload,
                    headers={"Content-Type": "application/json", **headers},
                )
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors[type(exc).__name__] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status] += 1
            if on_body is not None:
                on_body(response.status, data)
        connection.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.statuses.update(statuses)
            result.errors.update(errors)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start_barrier.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result
