"""`/metrics` serves the request series prometheus-fastapi-instrumentator defines, recorded by
`shared.app.RequestMetrics` as plain numbers: whatever the requests, the exposition is the one
prometheus_client's own Counter, Summary and Histogram give for the same observations."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, Summary, generate_latest

from shared.app import LATENCY_BUCKETS, ROUTE_BUCKETS, UNMEASURED, RequestMetrics

answers = st.lists(
    st.tuples(
        st.sampled_from(["GET", "POST", "PATCH"]),
        st.sampled_from(["/api/a", "/api/b/{number}", *UNMEASURED]),
        st.sampled_from([200, 201, 204, 400, 401, 404, 409, 413, 422, 500, 503]),
        st.integers(min_value=0, max_value=10**7),  # request Content-Length
        st.integers(min_value=0, max_value=10**7),  # answer Content-Length
        st.one_of(
            st.sampled_from([0.0, *LATENCY_BUCKETS, *ROUTE_BUCKETS, 60.0001]),
            st.floats(min_value=0, max_value=120, allow_nan=False),
        ),
    ),
    max_size=60,
)


def _library(registry: CollectorRegistry) -> tuple[Any, ...]:
    return (
        Counter(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            ("method", "status", "handler"),
            registry=registry,
        ),
        Summary(
            "http_request_size_bytes",
            "Content length of incoming requests by handler (the header's value).",
            ("handler",),
            registry=registry,
        ),
        Summary(
            "http_response_size_bytes",
            "Content length of outgoing responses by handler (the header's value).",
            ("handler",),
            registry=registry,
        ),
        Histogram(
            "http_request_duration_highr_seconds",
            "Latency with many buckets but no API specific labels.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        Histogram(
            "http_request_duration_seconds",
            "Latency with only few buckets by handler.",
            ("method", "handler"),
            buckets=ROUTE_BUCKETS,
            registry=registry,
        ),
    )


def _exposed(registry: CollectorRegistry) -> list[str]:
    """The exposition's lines, in order, without the library's `_created` timestamps."""
    return [
        line for line in generate_latest(registry).decode().splitlines() if "_created" not in line
    ]


@settings(max_examples=150, deadline=None)
@given(answers=answers)
def test_the_exposition_is_the_librarys_for_any_requests(
    answers: list[tuple[str, str, int, int, int, float]],
) -> None:
    ours_registry, library_registry = CollectorRegistry(), CollectorRegistry()
    ours = RequestMetrics(ours_registry)
    requests, request_sizes, response_sizes, latency, by_route = _library(library_registry)
    for method, path, status, asked, answered, seconds in answers:
        scope = {"method": method, "route": SimpleNamespace(path=path)}
        ours.record(scope, status, asked, answered, seconds)
        if path in UNMEASURED:
            continue
        requests.labels(method, f"{status // 100}xx", path).inc()
        request_sizes.labels(path).observe(asked)
        response_sizes.labels(path).observe(answered)
        latency.observe(seconds)
        by_route.labels(method, path).observe(seconds)
    assert sorted(_exposed(ours_registry)) == sorted(_exposed(library_registry))
