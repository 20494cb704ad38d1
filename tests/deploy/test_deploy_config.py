"""The deployment files, checked by parsing (no Docker engine here): compose topology, nginx
routes, Dockerfiles on the lockfile, k8s probes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
HTTP_SERVICES = {
    "reform_tasks": ("services.reform_tasks.app:app", 8001),
    "evaluation": ("services.evaluation.app:app", 8002),
    "hotline_ingest": ("services.hotline_ingest.app:app", 8003),
}


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_has_the_platform_topology() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", *HTTP_SERVICES, "scheduler", "web", "demo"}
    assert services["postgres"]["image"] == "postgres:18"
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["scheduler"]["command"] == ["python", "-m", "services.scheduler"]
    assert services["web"]["ports"] == ["8000:80"]
    assert services["demo"]["profiles"] == ["demo"]


@pytest.mark.parametrize("name", sorted(HTTP_SERVICES))
def test_each_api_service_runs_its_app_after_migration(name: str) -> None:
    service = _compose()["services"][name]
    target, port = HTTP_SERVICES[name]
    assert service["command"][:2] == ["uvicorn", target]
    assert service["command"][-1] == str(port)
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert service["env_file"] == "deploy/.env"


def test_nginx_routes_every_api_prefix_to_its_service() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = dict(re.findall(r"upstream (\w+)\s*\{\s*server \w+:(\d+);", conf))
    assert upstreams == {"reform_tasks": "8001", "evaluation": "8002", "hotline_ingest": "8003"}
    routes = dict(re.findall(r"location\s+(/api/\w+/)\s*\{\s*proxy_pass http://(\w+);", conf))
    assert routes == {
        "/api/auth/": "reform_tasks",
        "/api/tasks/": "reform_tasks",
        "/api/hotline/": "hotline_ingest",
        "/api/evaluation/": "evaluation",
    }
    stream = re.search(r"location = /api/evaluation/v1/stream \{(.*?)\}", conf, re.S)
    assert stream is not None
    assert "proxy_buffering off" in stream.group(1)
    assert "try_files $uri $uri/ /index.html" in conf


def test_images_install_from_the_lockfile() -> None:
    python = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "pip install -r requirements.lock" in python
    assert "USER reform" in python
    web = (ROOT / "deploy" / "Dockerfile.web").read_text()
    assert "npm ci" in web
    assert "deploy/nginx.conf" in web


def _k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                documents.append((path.name, document))
    return documents


def test_every_k8s_document_is_well_formed() -> None:
    for name, document in _k8s_documents():
        assert document.get("apiVersion"), name
        assert document.get("kind"), name
        if document["kind"] != "Kustomization":
            assert document["metadata"]["name"], name


def test_http_deployments_probe_healthz_and_readyz_on_their_port() -> None:
    ports = {"reform-tasks": 8001, "evaluation": 8002, "hotline-ingest": 8003}
    seen = set()
    for _, document in _k8s_documents():
        if document["kind"] != "Deployment" or document["metadata"]["name"] not in ports:
            continue
        name = document["metadata"]["name"]
        container = document["spec"]["template"]["spec"]["containers"][0]
        port = ports[name]
        assert container["ports"][0]["containerPort"] == port
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
        seen.add(name)
    assert seen == set(ports)


def test_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    on_disk = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == on_disk


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    # Resolve the compose host names to loopback so nginx -t can check the file alone.
    conf = re.sub(r"server (\w+):(\d+);", r"server 127.0.0.1:\2;", conf)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ access_log off; {conf} }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
