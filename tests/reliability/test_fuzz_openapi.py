"""Schemathesis over each service's OpenAPI, with an office token and with a unit's token,
against the services running as real processes on the demo city: no 5xx, and every response
conforms to the documented status codes, content types, headers and schemas. Bounded (examples
per operation, and a time budget for the whole run) so it stays in `make test`;
`bench/reliability_fuzz.py` runs the same with many more examples."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from shared.auth import issue_token
from shared.models import Role
from tests import pg
from tests.reliability.conftest import drain_to_evaluation, load_demo
from tests.reliability.processes import Services, signer

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "10"))
# The whole run (both roles, three services) stays within this; past it the test fails.
BUDGET_SECONDS = float(os.environ.get("FUZZ_BUDGET_SECONDS", "300"))
# Never-ending (the SSE stream), whole-year work per call (recompute), or signed by the platform
# and fuzzed with its own rules (the webhook: tests/hotline, test_webhook_attacks.py).
SKIPPED = r"^/api/evaluation/v1/(stream|recompute)$|^/api/hotline/v1/webhooks/"
# What the issue asks: no 5xx, and responses as documented. (Whether a schema-valid request may
# still be refused is the business rules' call: an unknown period or unit is a 422 by design.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
async def fuzz_services(
    worker_id_name: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Services]:
    cluster = pg.test_cluster()
    name = f"rel_fuzz_{worker_id_name}"
    url = pg.clone_database(cluster, name)
    await load_demo(url)
    await drain_to_evaluation(url)
    services = Services(url, tmp_path_factory.mktemp("fuzz"))
    services.start()
    yield services
    services.stop()
    cluster.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _headers(username: str, role: Role, unit_code: str | None) -> dict[str, str]:
    token = issue_token(signer(), username=username, role=role, unit_code=unit_code)
    return {"Authorization": f"Bearer {token}"}


# The office admin sees and may do everything; a lead unit's 联络员 is refused most writes and
# sees its own rows: both must get documented answers, never a 5xx.
ROLES = {
    "office": _headers("office", Role.office_admin, None),
    "unit": _headers("shichang", Role.lead_unit, "shichang"),
}


def _schema(services: Services, name: str) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_url(f"{services.url(name)}/openapi.json")
    return loaded.exclude(path_regex=SKIPPED)


def _fuzz(services: Services, name: str, role: str, deadline: float) -> list[str]:
    """Every operation, EXAMPLES generated cases each; the failures, one line each."""
    failures: list[str] = []
    headers = ROLES[role]
    for result in _schema(services, name).get_all_operations():
        if time.monotonic() > deadline:
            return [*failures, f"{role} {name}: over the {BUDGET_SECONDS:g} s budget"]
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=services.url(name), headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collected: one run lists them all
            failures.append(f"{role} {operation.label}: {str(exc)[:1500]}")
    return failures


def _stateful(services: Services, name: str, role: str) -> list[str]:
    """Sequences of calls along the links schemathesis infers from the schema (an id a create
    answers, used by the reads and writes that take it): the same checks at each step."""
    machine_class = _schema(services, name).as_state_machine()
    headers = ROLES[role]

    class Machine(machine_class):  # type: ignore[valid-type,misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": headers}

        def validate_response(
            self, response: object, case: schemathesis.Case, **kwargs: object
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    try:
        Machine.run(
            settings=settings(
                max_examples=STATEFUL_EXAMPLES,
                stateful_step_count=5,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    except (Exception, BaseExceptionGroup) as exc:
        return [f"{role} {name} (stateful): {str(exc)[:1500]}"]
    return []


def test_fuzzed_requests_never_5xx_and_responses_match_the_schema(
    fuzz_services: Services,
) -> None:
    """One test for the three services: they share one started stack (xdist would start it
    once per worker for separate tests)."""
    deadline = time.monotonic() + BUDGET_SECONDS
    failures = [
        failure
        for role in ROLES
        for name in ("reform_tasks", "evaluation", "hotline_ingest")
        for failure in _fuzz(fuzz_services, name, role, deadline)
        + _stateful(fuzz_services, name, role)
    ]
    assert time.monotonic() <= deadline, f"over the {BUDGET_SECONDS:g} s budget"
    assert not failures, "\n\n".join(failures)
