"""The SPA's origin as `make up` serves it (Vite's preview server and its proxy table, the same
routing as deploy/nginx.conf): API paths reach their service, any other /api path is an API 404
as problem+json, and the SPA's own routes fall back to index.html."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import Stack

pytestmark = pytest.mark.browser


def test_an_unknown_api_path_is_a_problem_not_the_spa(stack: Stack) -> None:
    for path in ("/api/nonexistent", "/api/reform/v1/tasks", "/api/"):
        response = httpx.get(f"{stack.web}{path}", params={"limit": 2})
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "not_found"
        assert problem["title"] == "资源不存在"
        assert problem["instance"] == path


def test_api_prefixes_reach_their_services_and_spa_routes_get_the_app(stack: Stack) -> None:
    with stack.client("office") as api:
        assert api.get("/api/tasks/v1/units", params={"limit": 1}).status_code == 200
        assert api.get("/api/hotline/v1/work-orders", params={"limit": 1}).status_code == 200
        # The service's own 404 for a path under its prefix, not the gateway's.
        missing = api.get("/api/tasks/v1/no-such-thing")
        assert missing.status_code == 404
        assert "request_id" in missing.json()
    unauthenticated = httpx.get(f"{stack.web}/api/evaluation/v1/rankings")
    assert unauthenticated.status_code == 401
    page = httpx.get(f"{stack.web}/battle-map", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "云岭市营商环境改革综合平台" in page.text
