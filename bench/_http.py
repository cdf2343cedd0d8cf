"""A small closed-loop HTTP load generator.

``clients`` processes (not threads: the GIL would make the generator the
bottleneck) each hold one ``http.client`` connection, kept alive whenever the server
allows it (gunicorn's sync workers close it after every response, as a browser
would see too), and repeat one *operation* back to back for a fixed time. An
operation is one request or a chain of them; it raises ``OpFailed`` when a response
is not what it should be. The result is completed operations per second.
"""

from __future__ import annotations

import http.client
import multiprocessing
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from _common import median, percentile

# fork: the operations are closures over data the parent prepared, and fork needs no
# pickling. Children never use the parent's Django database connection.
_mp = multiprocessing.get_context("fork")


class OpFailed(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Http:
    """One client: a connection and a cookie jar, like one browser tab."""

    def __init__(self, host: str, port: int, cookies: dict[str, str] | None = None):
        self.host = host
        self.port = port
        self.cookies: dict[str, str] = dict(cookies or {})
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(
                f"{k}={v}" for k, v in self.cookies.items()
            )
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                raw = self.conn.getresponse()
                data = raw.read()
                break
            except (
                http.client.RemoteDisconnected,
                ConnectionResetError,
                BrokenPipeError,
            ):
                # A kept-alive connection the server closed meanwhile: reconnect once.
                self.conn.close()
                if attempt == 2:
                    raise
        for set_cookie in raw.headers.get_all("Set-Cookie") or []:
            parsed = SimpleCookie()
            parsed.load(set_cookie)
            for name, morsel in parsed.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return Response(raw.status, raw.headers, data)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def close(self) -> None:
        self.conn.close()


# A setup runs in each client process before the clock starts: (client index, its
# Http) -> the operation to repeat. A scenario's ``prepare`` runs in the parent
# before each measurement and returns that setup (fresh sessions, for example).
Operation = Callable[[], None]
Setup = Callable[[int, Http], Operation]


@dataclass
class Scenario:
    label: str
    prepare: Callable[[], Setup]


@dataclass
class LoadResult:
    label: str
    ok: int = 0
    failed: int = 0
    rate: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def p50_ms(self) -> float:
        return median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 0.95) * 1000 if self.latencies else 0.0

    def merge(self, other: LoadResult) -> None:
        self.ok += other.ok
        self.failed += other.failed
        self.latencies += other.latencies
        self.errors += other.errors


def _client_main(index, host, port, setup, barrier, duration, results) -> None:
    ok = failed = 0
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    try:
        client = Http(host, port)
        operation = setup(index, client)
        barrier.wait(timeout=120)
        started = time.monotonic()
        deadline = started + duration
        while time.monotonic() < deadline:
            begin = time.perf_counter()
            try:
                operation()
            except (OpFailed, OSError, http.client.HTTPException) as error:
                failed += 1
                if len(errors) < 3:
                    errors.append(f"{type(error).__name__}: {error}")
                client.close()
                continue
            latencies.append(time.perf_counter() - begin)
            ok += 1
        client.close()
    except Exception as error:
        errors.append(f"client {index} setup: {type(error).__name__}: {error}")
        barrier.abort()
    elapsed = time.monotonic() - started
    results.put((ok, failed, elapsed, latencies, errors))


def run_load(
    label: str, host: str, port: int, setup: Setup, *, clients: int, duration: float
) -> LoadResult:
    """``clients`` concurrent clients repeating the operation for ``duration`` s."""
    barrier = _mp.Barrier(clients)
    results = _mp.Queue()
    processes = [
        _mp.Process(
            target=_client_main,
            args=(i, host, port, setup, barrier, duration, results),
            daemon=True,
        )
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    result = LoadResult(label)
    try:
        for _ in processes:
            ok, failed, elapsed, latencies, errors = results.get(timeout=duration + 180)
            result.ok += ok
            result.failed += failed
            result.latencies += latencies
            result.errors += errors
            result.rate += ok / elapsed if elapsed > 0 else 0.0
    except queue.Empty:
        result.errors.append("a client did not report back")
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
    return result


@dataclass
class Comparison:
    baseline: LoadResult
    target: LoadResult

    @property
    def ratio(self) -> float:
        return self.target.rate / self.baseline.rate if self.baseline.rate else 0.0


def compare(
    baseline: Scenario,
    target: Scenario,
    *,
    host: str,
    port: int,
    clients: int,
    duration: float,
    rounds: int,
    warmup: float = 2.0,
) -> Comparison:
    """Baseline and target interleaved (B T, T B, B T...) so that drift in the
    machine's speed affects both alike; the rates are averaged over rounds."""
    for scenario in (baseline, target):
        run_load(
            f"warm-up {scenario.label}",
            host,
            port,
            scenario.prepare(),
            clients=clients,
            duration=warmup,
        )
    totals = {s.label: LoadResult(s.label) for s in (baseline, target)}
    for round_no in range(1, rounds + 1):
        order = (baseline, target) if round_no % 2 else (target, baseline)
        for scenario in order:
            result = run_load(
                scenario.label,
                host,
                port,
                scenario.prepare(),
                clients=clients,
                duration=duration,
            )
            print(
                f"  round {round_no} {scenario.label:<10} {result.rate:8.1f}/s"
                f"  ok={result.ok} failed={result.failed}"
                f"  p50={result.p50_ms:.1f} ms p95={result.p95_ms:.1f} ms",
                flush=True,
            )
            for error in result.errors[:3]:
                print(f"    error: {error}", flush=True)
            totals[scenario.label].merge(result)
            totals[scenario.label].rate += result.rate / rounds
    return Comparison(totals[baseline.label], totals[target.label])
