"""The deployment files (docker-compose.yml, deploy/, .dockerignore), checked by parsing them:
there is no Docker engine here. `nginx -t`, `kubectl kustomize` and `docker compose config` also
run where those tools are installed, and skip (saying why) where they are not."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrations.history import SQL_DIRS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_CONF = DEPLOY / "nginx.conf"

# compose service -> (ASGI app, port, Kubernetes Deployment/Service name)
HTTP_SERVICES: dict[str, tuple[str, int, str]] = {
    "reform_tasks": ("services.reform_tasks.app:app", 8001, "reform-tasks"),
    "evaluation": ("services.evaluation.app:app", 8002, "evaluation"),
    "hotline_ingest": ("services.hotline_ingest.app:app", 8003, "hotline-ingest"),
}
PYTHON_SERVICES = {"migrate", *HTTP_SERVICES, "scheduler", "demo"}
COMPOSE_SERVICES = {"postgres", *PYTHON_SERVICES, "web"}
# nginx location -> the compose service behind it (the path is passed on unchanged)
API_ROUTES = {
    "/api/auth/": "reform_tasks",
    "/api/tasks/": "reform_tasks",
    "/api/evaluation/": "evaluation",
    "/api/hotline/": "hotline_ingest",
}
STREAM_PATH = "/api/evaluation/v1/stream"
SERVICE_URL_VARS = {
    "REFORM_TASKS_URL": "reform_tasks",
    "EVALUATION_URL": "evaluation",
    "HOTLINE_URL": "hotline_ingest",
}
SECRETS = {"DATABASE_URL", "PII_ENCRYPTION_KEY", "HOTLINE_WEBHOOK_SECRETS"}
# The processes that sign tokens, each with a key only it holds (shared/signing_keys.py);
# compose service -> Kubernetes Deployment.
SIGNERS = {
    "reform_tasks": "reform-tasks",
    "evaluation": "evaluation",
    "hotline_ingest": "hotline-ingest",
    "scheduler": "scheduler",
}
API_VERSIONS = {
    "Namespace": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Service": "v1",
    "PersistentVolumeClaim": "v1",
    "Deployment": "apps/v1",
    "Job": "batch/v1",
    "Ingress": "networking.k8s.io/v1",
    "PodDisruptionBudget": "policy/v1",
}
NAMESPACE = "reform"


# The commands of the platform's contract, word for word.
COMMANDS = {
    "reform_tasks": "uvicorn services.reform_tasks.app:app --host 0.0.0.0 --port 8001",
    "evaluation": "uvicorn services.evaluation.app:app --host 0.0.0.0 --port 8002",
    "hotline_ingest": "uvicorn services.hotline_ingest.app:app --host 0.0.0.0 --port 8003",
}


def uvicorn_command(service: str) -> list[str]:
    command = COMMANDS[service].split()
    app, port, _ = HTTP_SERVICES[service]
    assert command[1] == app
    assert command[-1] == str(port)
    return command


# --- docker-compose.yml --------------------------------------------------------------------------


@cache
def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = _compose()["services"][name]
    return service


def _env_files(service: dict[str, Any]) -> list[str]:
    value = service.get("env_file", [])
    entries = value if isinstance(value, list) else [value]
    return [entry["path"] if isinstance(entry, dict) else entry for entry in entries]


def test_compose_has_exactly_the_platform_services() -> None:
    assert set(_compose()["services"]) == COMPOSE_SERVICES


def test_postgres_is_18_with_a_named_volume_and_pg_isready() -> None:
    postgres = _service("postgres")
    assert postgres["image"].startswith("postgres:18-bookworm@sha256:")
    assert any(v.split(":")[0] == "pgdata" for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert {"pgdata", "files"} <= set(_compose()["volumes"])


def test_migrate_runs_alembic_once_postgres_is_healthy() -> None:
    migrate = _service("migrate")
    assert migrate["command"] == ["alembic", "upgrade", "head"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"


@pytest.mark.parametrize("name", sorted(HTTP_SERVICES))
def test_each_api_service_runs_its_app_after_the_migration(name: str) -> None:
    service = _service(name)
    _, port, _ = HTTP_SERVICES[name]
    assert service["command"] == uvicorn_command(name)
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    probe = service["healthcheck"]["test"]
    # python:3.11-slim has no curl: the probe is a python one-liner on /readyz of its own port.
    assert probe[:2] == ["CMD", "python"]
    assert f"127.0.0.1:{port}/readyz" in " ".join(probe)


def test_python_services_share_one_image_and_take_secrets_from_the_env_file() -> None:
    for name in sorted(PYTHON_SERVICES):
        service = _service(name)
        assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert "deploy/.env" in _env_files(service), name
        environment = service.get("environment", {})
        assert isinstance(environment, dict), name
        assert not SECRETS & set(environment), f"{name}: secrets belong in deploy/.env"
        for variable, target in SERVICE_URL_VARS.items():
            assert environment[variable] == f"http://{target}:{HTTP_SERVICES[target][1]}", name
    for name in ("reform_tasks", "hotline_ingest"):  # evidence files (hotline: its appeals')
        files = _service(name)["volumes"]
        assert "files:" + _service(name)["environment"]["FILES_DIR"] in files, name


def test_scheduler_web_and_demo() -> None:
    scheduler = _service("scheduler")
    assert scheduler["command"] == ["python", "-m", "services.scheduler"]
    assert scheduler["depends_on"]["reform_tasks"]["condition"] == "service_healthy"

    web = _service("web")
    assert web["build"]["dockerfile"] == "deploy/Dockerfile.web"
    assert [str(p) for p in web["ports"]] == ["8000:8080"]
    assert set(HTTP_SERVICES) <= set(web["depends_on"])

    demo = _service("demo")
    assert demo["profiles"] == ["demo"]
    assert demo["command"] == ["python", "-m", "shared.demo", "load"]
    assert demo["restart"] == "no"
    assert demo["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def _env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_env_example_has_every_secret_as_an_obvious_placeholder() -> None:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    values = _env_example()
    assert values["ENVIRONMENT"] == "production"
    comments = " ".join(line for line in text.splitlines() if line.startswith("#")).lower()
    assert "production" in comments, "say that production refuses the placeholders"
    assert "refuse" in comments, "say that production refuses the placeholders"
    for key in sorted(SECRETS | {"POSTGRES_PASSWORD"}):
        assert "change-me" in values[key], key
    url = re.fullmatch(
        r"postgresql\+asyncpg://([^:]+):([^@]+)@postgres:5432/(\w+)", values["DATABASE_URL"]
    )
    assert url is not None
    assert url.groups() == (
        values["POSTGRES_USER"],
        values["POSTGRES_PASSWORD"],
        values["POSTGRES_DB"],
    )
    assert "deploy/.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def _compose_binary() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    compose = _compose_binary()
    if compose is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed here")
    (tmp_path / "deploy").mkdir()
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    shutil.copy(DEPLOY / ".env.example", tmp_path / "deploy" / ".env")
    for name in SIGNERS:  # what `python -m shared.signing_keys env-files deploy/keys` writes
        (tmp_path / "deploy" / "keys").mkdir(exist_ok=True)
        (tmp_path / "deploy" / "keys" / f"{name}.env").write_text(f"JWT_KEY_ID={name}\n")
    result = subprocess.run(
        [*compose, "--profile", "demo", "config", "--services"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == COMPOSE_SERVICES


# --- deploy/nginx.conf ---------------------------------------------------------------------------


def _nginx_text() -> str:
    return re.sub(r"#[^\n]*", "", NGINX_CONF.read_text(encoding="utf-8"))


def _nginx_upstreams() -> dict[str, tuple[str, int]]:
    upstreams = {}
    for name, body in re.findall(r"upstream\s+(\S+)\s*\{([^{}]*)\}", _nginx_text()):
        servers = re.findall(r"server\s+([^\s:;]+):(\d+)", body)
        assert len(servers) == 1, name
        upstreams[name] = (servers[0][0], int(servers[0][1]))
    return upstreams


# A location's body: no nested block; braces only inside '…' strings (a `return` of JSON).
_LOCATION_BODY = r"\{((?:'[^']*'|[^{}'])*)\}"


def _nginx_locations() -> dict[str, str]:
    """`location [=] path { … }` blocks by path; `=` kept in the key."""
    pattern = r"location\s+(?:(=|\^~|~)\s*)?(\S+)\s*" + _LOCATION_BODY
    return {
        f"{modifier}{path}": body for modifier, path, body in re.findall(pattern, _nginx_text())
    }


def _directive(body: str, name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"(?:^|[;{{\s]){name}\s+([^;]+);", body)]


def _server_block() -> str:
    text = _nginx_text()
    start = text.index("server {")
    return re.sub(r"location\s+[^{]*" + _LOCATION_BODY, "", text[start:])


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value)
    assert match is not None, value
    unit = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(match.group(1)) * unit


def _proxied_port(location_body: str) -> int:
    """The upstream port a location sends to; it must pass the path on unchanged (no URI part)."""
    targets = _directive(location_body, "proxy_pass")
    assert len(targets) == 1, location_body
    match = re.fullmatch(r"http://([\w-]+)", targets[0])
    assert match is not None, f"{targets[0]}: proxy_pass with a URI part rewrites the path"
    return _nginx_upstreams()[match.group(1)][1]


@pytest.mark.parametrize("prefix", sorted(API_ROUTES))
def test_nginx_routes_each_api_prefix_to_its_service_port(prefix: str) -> None:
    locations = _nginx_locations()
    assert prefix in locations, f"no `location {prefix}`"
    assert _proxied_port(locations[prefix]) == HTTP_SERVICES[API_ROUTES[prefix]][1]


def test_nginx_streams_server_sent_events_unbuffered() -> None:
    stream = _nginx_locations()[f"={STREAM_PATH}"]
    assert _proxied_port(stream) == HTTP_SERVICES["evaluation"][1]
    assert _directive(stream, "proxy_buffering") == ["off"]
    assert _seconds(_directive(stream, "proxy_read_timeout")[0]) >= 3600
    versions = _directive(stream, "proxy_http_version") or _directive(
        _server_block(), "proxy_http_version"
    )
    assert versions == ["1.1"]


def test_nginx_serves_the_spa_and_passes_the_request_headers() -> None:
    server = _server_block()
    assert _directive(server, "listen") == ["8080"]  # nginx-unprivileged: no port below 1024
    fallback = _directive(_nginx_locations()["/"], "try_files")
    assert fallback
    assert fallback[0].split()[-1] == "/index.html"
    headers = {value.split()[0].lower() for value in _directive(server, "proxy_set_header")}
    assert {"x-request-id", "x-forwarded-for", "x-forwarded-proto", "host"} <= headers
    # Every proxied location inherits these only while none sets a proxy_set_header of its own.
    for path, body in _nginx_locations().items():
        assert not _directive(body, "proxy_set_header"), path


def test_nginx_answers_any_other_api_path_with_a_problem_not_the_spa() -> None:
    """The same 404 as the services' own and as Vite's proxy in `make up` (web/vite.config.ts)."""
    body = _nginx_locations()["/api/"]
    assert _directive(body, "default_type") == ["application/problem+json"]
    (answer,) = _directive(body, "return")
    status, _, payload = answer.partition(" ")
    assert status == "404"
    problem = json.loads(payload.strip("'"))
    assert problem["status"] == 404
    assert (problem["code"], problem["title"]) == ("not_found", "资源不存在")


def test_nginx_serves_the_pwa_files_fresh_and_typed() -> None:
    """Issue #22 (web/public/sw.js): the service worker script is revalidated on every visit, so
    a new version takes over at once; the manifest goes out as application/manifest+json, which
    nginx's mime.types does not know; neither they nor an icon fall back to index.html. The CSP
    lets the page register a worker and read a manifest from its own origin."""
    locations = _nginx_locations()
    for path in ("=/sw.js", "=/manifest.webmanifest", "/icons/"):
        assert _directive(locations[path], "expires") == ["-1"], path
        assert _directive(locations[path], "try_files") == ["$uri =404"], path
    assert _directive(locations["=/manifest.webmanifest"], "default_type") == [
        "application/manifest+json"
    ]
    for name in ("sw.js", "manifest.webmanifest", "offline.html"):
        assert (ROOT / "web" / "public" / name).is_file(), name
    csp = dict(
        (directive.split()[0], directive.split()[1:])
        for directive in _headers(_server_block())["Content-Security-Policy"].split("; ")
    )
    # worker-src falls back to child-src, script-src, default-src; manifest-src to default-src.
    for name in ("worker-src", "child-src", "script-src", "manifest-src"):
        assert "'self'" in csp.get(name, csp["default-src"]), name


def _bytes(size: str) -> int:
    match = re.fullmatch(r"(\d+)([kmg])?", size.lower())
    assert match is not None, size
    return int(match.group(1)) * {None: 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]


def _large_uploads() -> list[tuple[str, str, int]]:
    """Each route whose body cap (the services' `upload_limits`, at the default settings) is over
    nginx's general limit: its service, a path it serves (`\\d+` as 7), and its cap."""
    from services.hotline_ingest.app import upload_limits as hotline_limits
    from services.reform_tasks.app import upload_limits as tasks_limits
    from shared.settings import Settings

    general = _bytes(_directive(_server_block(), "client_max_body_size")[0])
    defaults = Settings()
    caps = [
        *(("reform_tasks", p, n) for p, n in tasks_limits(defaults).items()),
        *(("hotline_ingest", p, n) for p, n in hotline_limits(defaults).items()),
    ]
    return [(service, p.replace(r"\d+", "7"), n) for service, p, n in caps if n > general]


def test_nginx_body_limits_fit_imports_and_every_upload_route() -> None:
    """6m for every body (the 5 MB xlsx imports fit); each upload route with a larger cap in the
    services (a progress report: EVIDENCE_MAX_FILES files of EVIDENCE_MAX_BYTES each; a reply to
    a supervision; a 12345 appeal) has exactly one regex location, sent to its service, whose
    limit takes the cap and is no more than 2 MiB over the largest cap it serves; nothing else
    matches those locations; 413 as problem+json."""
    from services.evaluation.inputs.router import MAX_UPLOAD
    from services.reform_tasks.import_export.xlsx import MAX_BYTES

    server = _server_block()
    general = _bytes(_directive(server, "client_max_body_size")[0])
    assert max(MAX_UPLOAD, MAX_BYTES) + 64 * 1024 < general

    evidence = {p[1:]: body for p, body in _nginx_locations().items() if p[0] == "~"}
    uploads = _large_uploads()
    assert {path for _, path, _ in uploads} >= {
        "/api/tasks/v1/tasks/7/milestones/7/reports",
        "/api/tasks/v1/supervisions/7/replies",
        "/api/hotline/v1/appeals",
    }
    served: dict[str, list[int]] = {pattern: [] for pattern in evidence}
    for service, path, cap in uploads:
        (pattern,) = [p for p in evidence if re.fullmatch(p, path)]
        body = evidence[pattern]
        assert _proxied_port(body) == HTTP_SERVICES[service][1], path
        assert cap <= _bytes(_directive(body, "client_max_body_size")[0]), path
        assert not any(re.fullmatch(p, path + "/x") for p in evidence), path
        served[pattern].append(cap)
    for pattern, caps in served.items():
        assert caps, f"{pattern}: no upload route needs it"
        limit = _bytes(_directive(evidence[pattern], "client_max_body_size")[0])
        assert limit <= max(caps) + 2 * 1024**2, pattern
    for path in ("/api/tasks/v1/supervisions/7", "/api/tasks/v1/tasks/import", "/api/hotline/v1"):
        assert not any(re.fullmatch(p, path) for p in evidence), path

    assert _directive(server, "error_page") == ["413 @too_large"]
    answer = re.search(r"location\s+@too_large\s*\{(.*?)\n\s*\}", _nginx_text(), re.S)
    assert answer is not None
    assert _directive(answer.group(1), "default_type") == ["application/problem+json"]
    returned = re.search(r"return\s+413\s+'(.*)';", answer.group(1))
    assert returned is not None
    problem = json.loads(returned.group(1))
    assert (problem["status"], problem["code"], problem["title"]) == (
        413,
        "payload_too_large",
        "请求内容过大",
    )


def test_nginx_upstream_hosts_resolve_in_compose_and_kubernetes() -> None:
    compose_names: dict[str, str] = {}
    for name, service in _compose()["services"].items():
        compose_names[name] = name
        aliases = service.get("networks", {}).get("default", {}) or {}
        for alias in aliases.get("aliases", []):
            compose_names[alias] = name
    k8s_services = {
        document["metadata"]["name"]: document
        for _, document in _k8s_documents()
        if document["kind"] == "Service"
    }
    for upstream, (host, port) in _nginx_upstreams().items():
        assert host in compose_names, f"{upstream}: {host} is no compose service or alias"
        assert HTTP_SERVICES[compose_names[host]][1] == port, upstream
        assert host in k8s_services, f"{upstream}: {host} is no Kubernetes Service"
        assert [p["port"] for p in k8s_services[host]["spec"]["ports"]] == [port]


def _nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/bin/nginx", "/usr/sbin/nginx"):
        if Path(candidate).exists():
            return candidate
    return None


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    nginx = _nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed here (/usr/bin/nginx, /usr/sbin/nginx), so no nginx -t")
    # nginx -t resolves upstream host names: point the compose/k8s names at loopback.
    conf = re.sub(
        r"(server\s+)[^\s:;]+(:\d+)", r"\g<1>127.0.0.1\2", NGINX_CONF.read_text(encoding="utf-8")
    )
    mime = Path("/etc/nginx/mime.types")
    temp = " ".join(
        f"{kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = tmp_path / "nginx.conf"
    # The official image includes conf.d/default.conf inside its http block, as here.
    main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n{f'include {mime};' if mime.exists() else ''}\n"
        f"access_log off;\n{temp}\n{conf}\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(main),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- Dockerfiles and .dockerignore ---------------------------------------------------------------


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def _copy_sources(path: Path) -> list[str]:
    sources = []
    for keyword, arguments in _instructions(path):
        words = arguments.split()
        if keyword == "COPY" and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[:-1] if not w.startswith("--")]
    return sources


def test_python_image_is_multi_stage_slim_from_the_lockfile_without_secrets() -> None:
    instructions = _instructions(DEPLOY / "Dockerfile")
    bases = [args.split()[0] for keyword, args in instructions if keyword == "FROM"]
    assert len(bases) >= 2
    assert len(set(bases)) == 1
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", bases[0])
    runs = " && ".join(args for keyword, args in instructions if keyword == "RUN")
    installs = re.findall(r"pip install ([^&;]+)", runs)
    assert [i.strip() for i in installs] == [
        "--require-hashes -r requirements.lock",
        "--no-deps .",
    ]
    sources = _copy_sources(DEPLOY / "Dockerfile")
    assert {"requirements.lock", "pyproject.toml", "alembic.ini", "migrations"} <= set(sources)
    # The runtime stage runs the migrations: the SQL files they load travel with them.
    loaded = {str(d.relative_to(ROOT)) for d in SQL_DIRS.values()}
    assert loaded <= set(sources)

    final = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    # Signed official documents are stored with their PDF, rendered by LibreOffice (issue #20).
    runtime_runs = " ".join(args for keyword, args in final if keyword == "RUN")
    assert "libreoffice-writer-nogui" in runtime_runs
    assert "fonts-noto-cjk" in runtime_runs
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    users = [args for keyword, args in final if keyword == "USER"]
    assert users, "the runtime stage must not run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    for keyword, args in instructions:
        if keyword in {"ENV", "ARG"}:
            names = set(re.findall(r"(\w+)=", args)) | {args.split()[0].split("=")[0]}
            assert not names & SECRETS, f"{keyword} {args}: no secret in the image"


def test_web_image_builds_the_spa_with_node_22_into_unprivileged_nginx() -> None:
    instructions = _instructions(DEPLOY / "Dockerfile.web")
    bases = [args.split()[0] for keyword, args in instructions if keyword == "FROM"]
    assert re.fullmatch(r"node:22-bookworm-slim@sha256:[0-9a-f]{64}", bases[0])
    assert re.fullmatch(r"nginxinc/nginx-unprivileged:1\.28-alpine@sha256:[0-9a-f]{64}", bases[-1])
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    assert any(run.startswith("npm ci") for run in runs)
    assert "npm run build" in runs
    copies = [args for keyword, args in instructions if keyword == "COPY"]
    assert "deploy/nginx.conf /etc/nginx/conf.d/default.conf" in copies
    assert any(c.startswith("--from=") and c.endswith("/usr/share/nginx/html") for c in copies)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _dockerignored(path: str) -> bool:
    """Docker's rules, closely enough: the last matching line wins, `!` re-includes, and a line
    matching a directory matches everything below it."""
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for line in (raw.strip() for raw in lines):
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        regex = _glob_regex(line.lstrip("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


def test_dockerignore_keeps_what_the_images_copy_and_nothing_secret() -> None:
    kept = []
    for dockerfile in (DEPLOY / "Dockerfile", DEPLOY / "Dockerfile.web"):
        for source in _copy_sources(dockerfile):
            kept.append(source)
            directory = ROOT / source
            if directory.is_dir():
                skip = {"node_modules", "dist", "__pycache__"}
                kept += [
                    str(p.relative_to(ROOT)) for p in directory.iterdir() if p.name not in skip
                ]
    for path in kept:
        assert not _dockerignored(path), f"{path} is COPY'd but .dockerignore drops it"
    for path in (
        "deploy/.env",
        "var/dev.env",
        ".venv/bin/python",
        ".git/HEAD",
        "web/node_modules/vue/package.json",
        "web/dist/index.html",
        "shared/__pycache__/settings.cpython-311.pyc",
        "tests/conftest.py",
    ):
        assert _dockerignored(path), f"{path} would reach the build context"


# --- deploy/k8s ----------------------------------------------------------------------------------


@cache
def _k8s_documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                assert isinstance(document, dict), path.name
                documents.append((path.name, document))
    return tuple(documents)


def _k8s(kind: str, name: str) -> dict[str, Any]:
    found = [d for _, d in _k8s_documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: found {len(found)}"
    return found[0]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def test_every_k8s_document_is_well_formed() -> None:
    assert _k8s_documents()
    for filename, document in _k8s_documents():
        where = f"{filename}: {document.get('kind')}"
        assert document.get("apiVersion"), where
        assert document.get("kind"), where
        assert document.get("metadata", {}).get("name"), where
        assert document["apiVersion"] == API_VERSIONS.get(document["kind"]), where
        if document["kind"] != "Namespace":
            assert document["metadata"].get("namespace") == NAMESPACE, where
        if document["kind"] in {"Deployment", "Job"}:
            template = document["spec"]["template"]
            for container in template["spec"]["containers"]:
                for source in container.get("envFrom", []):
                    ref = source.get("configMapRef") or source.get("secretRef")
                    kind = "ConfigMap" if "configMapRef" in source else "Secret"
                    _k8s(kind, ref["name"])
        if document["kind"] == "Deployment":
            selector = document["spec"]["selector"]["matchLabels"]
            labels = document["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= labels.items(), where


@pytest.mark.parametrize("name", sorted(HTTP_SERVICES))
def test_http_deployments_probe_healthz_and_readyz_on_their_port(name: str) -> None:
    _, port, k8s_name = HTTP_SERVICES[name]
    deployment = _k8s("Deployment", k8s_name)
    assert deployment["spec"]["replicas"] == 2
    container = _container(deployment)
    assert container["command"] == uvicorn_command(name)
    assert [p["containerPort"] for p in container["ports"]] == [port]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound]), bound

    service = _k8s("Service", k8s_name)
    assert service["spec"]["selector"].items() <= (
        deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(port, port)]


def test_scheduler_migrate_and_web_workloads() -> None:
    scheduler = _k8s("Deployment", "scheduler")
    assert scheduler["spec"]["replicas"] == 2  # a leader and a standby (advisory lock)
    assert _container(scheduler)["command"] == ["python", "-m", "services.scheduler"]
    assert "advisory lock" in (K8S / "scheduler.yaml").read_text(encoding="utf-8")

    job = _k8s("Job", "migrate")
    assert _container(job)["command"] == ["alembic", "upgrade", "head"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}

    web = _k8s("Deployment", "web")
    assert [p["containerPort"] for p in _container(web)["ports"]] == [8080]
    assert [p["targetPort"] for p in _k8s("Service", "web")["spec"]["ports"]] == [8080]
    # Issue #23: no root, no writable root filesystem, no capabilities; /tmp bounded.
    pod = web["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    container = _container(web)["securityContext"]
    assert container["readOnlyRootFilesystem"] is True
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert [v["emptyDir"]["sizeLimit"] for v in pod["volumes"]] == ["64Mi"]


def test_every_deployment_runs_two_replicas_under_a_disruption_budget() -> None:
    """Issue #24: no single pod is the service; a node drain leaves one replica serving."""
    deployments = [d for _, d in _k8s_documents() if d["kind"] == "Deployment"]
    budgets = [d for _, d in _k8s_documents() if d["kind"] == "PodDisruptionBudget"]
    assert {d["metadata"]["name"] for d in deployments} >= {
        "reform-tasks",
        "evaluation",
        "hotline-ingest",
        "web",
        "scheduler",
    }
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        assert deployment["spec"]["replicas"] >= 2, name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(covering) == 1, name
        assert covering[0]["spec"]["minAvailable"] == 1, name
        if "ports" in _container(deployment):  # an HTTP pod takes traffic once it is ready
            assert "readinessProbe" in _container(deployment), name


def test_each_signing_process_holds_only_its_own_key() -> None:
    """Issue #23, finding 9: compose gives each signing container its own key file, Kubernetes
    each signing Deployment its own key of reform-signing-keys; the migration job and the demo
    loader get none. Everyone trusts the public keys in JWT_VERIFY_KEYS."""
    for name in sorted(PYTHON_SERVICES):
        key_files = [f for f in _env_files(_service(name)) if f.startswith("deploy/keys/")]
        assert key_files == ([f"deploy/keys/{name}.env"] if name in SIGNERS else []), name
    assert "deploy/keys/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert _env_example()["JWT_SIGNING_KEY"] == ""
    assert "change-me" in _env_example()["JWT_VERIFY_KEYS"]

    config = _k8s("ConfigMap", "reform-config")["data"]
    assert config["JWT_SIGNING_KEY"] == ""
    assert "change-me" in config["JWT_VERIFY_KEYS"]
    keys = _k8s("Secret", "reform-signing-keys")["stringData"]
    assert set(keys) == set(SIGNERS)
    assert all("change-me" in value for value in keys.values())
    for name, k8s_name in SIGNERS.items():
        env = {e["name"]: e for e in _container(_k8s("Deployment", k8s_name))["env"]}
        assert env["JWT_KEY_ID"]["value"] == name
        ref = env["JWT_SIGNING_KEY"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "reform-signing-keys", "key": name}
    for filename, document in _k8s_documents():
        if document["kind"] in {"Deployment", "Job"} and "reform-signing-keys" in str(document):
            assert document["metadata"]["name"] in SIGNERS.values(), filename


def test_configmap_and_secret_template() -> None:
    data = _k8s("ConfigMap", "reform-config")["data"]
    assert data["ENVIRONMENT"] == "production"
    for variable, target in SERVICE_URL_VARS.items():
        _, port, k8s_name = HTTP_SERVICES[target]
        assert data[variable] == f"http://{k8s_name}:{port}"
    assert not SECRETS & set(data)

    secret = _k8s("Secret", "reform-secrets")["stringData"]
    assert set(secret) >= SECRETS
    for key, value in secret.items():
        assert value == "" or "change-me" in value, f"{key}: the template holds placeholders only"
    for filename, document in _k8s_documents():
        if document["kind"] == "Secret":
            assert "placeholder" in (K8S / filename).read_text(encoding="utf-8").lower()


def test_ingress_routes_the_same_paths_as_nginx() -> None:
    routes: dict[str, tuple[str, int, str]] = {}
    annotations: dict[str, dict[str, str]] = {}
    for _, document in _k8s_documents():
        if document["kind"] != "Ingress":
            continue
        for rule in document["spec"]["rules"]:
            for entry in rule["http"]["paths"]:
                backend = entry["backend"]["service"]
                routes[entry["path"]] = (
                    backend["name"],
                    backend["port"]["number"],
                    entry["pathType"],
                )
                annotations[entry["path"]] = document["metadata"].get("annotations", {})
    for prefix, target in API_ROUTES.items():
        _, port, k8s_name = HTTP_SERVICES[target]
        assert routes.pop(prefix.rstrip("/")) == (k8s_name, port, "Prefix"), prefix
    assert routes.pop("/") == ("web", 80, "Prefix")  # the Service's port (the pod's 8080)
    _, port, k8s_name = HTTP_SERVICES["evaluation"]
    assert routes.pop(STREAM_PATH)[:2] == (k8s_name, port)
    assert annotations[STREAM_PATH]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    # nginx.conf's upload locations: each route with a large cap has one regex path to its
    # service, with a limit that takes the cap (issue #23: the whole /api/tasks/v1/tasks prefix
    # had it).
    body_size = "nginx.ingress.kubernetes.io/proxy-body-size"
    general = annotations["/api/tasks"][body_size]
    evidence_paths = [p for p, a in annotations.items() if a.get(body_size, general) != general]
    for service, path, cap in _large_uploads():
        _, port, k8s_name = HTTP_SERVICES[service]
        (matched,) = [p for p in evidence_paths if re.match(p, path)]
        assert routes[matched] == (k8s_name, port, "ImplementationSpecific"), path
        assert cap <= _bytes(annotations[matched][body_size]), path
        assert annotations[matched]["nginx.ingress.kubernetes.io/use-regex"] == "true"
        assert not any(re.match(p, path + "/x") for p in evidence_paths), path
    for evidence_path in evidence_paths:
        routes.pop(evidence_path)
    _, port, k8s_name = HTTP_SERVICES["reform_tasks"]
    # Logins rate-limited at the edge, as nginx.conf's limit_req.
    assert routes.pop("/api/auth/token") == (k8s_name, port, "Exact")
    assert annotations["/api/auth/token"]["nginx.ingress.kubernetes.io/limit-rpm"] == "10"
    assert (
        annotations["/api/tasks"][body_size]
        == _directive(_server_block(), "client_max_body_size")[0]
    )
    assert not routes, f"paths nginx.conf does not route: {sorted(routes)}"


def test_kustomization_lists_every_file_in_k8s() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), "a resource is listed twice"
    on_disk = {p.name for p in K8S.iterdir() if p.is_file() and p.name != "kustomization.yaml"}
    assert set(listed) == on_disk


def test_kubectl_kustomize_builds_every_document() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed here, so no `kubectl kustomize`")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    built = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(result.stdout) if d}
    assert built == {(d["kind"], d["metadata"]["name"]) for _, d in _k8s_documents()}


# --- issue #23: headers, TLS, rate limits, network policies, pinned images, hashed locks --------

SPA_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _headers(block: str) -> dict[str, str]:
    return dict(re.findall(r'^\s*add_header\s+([\w-]+)\s+"([^"]*)"\s+always;', block, re.M))


def test_nginx_sends_the_security_headers_on_every_response() -> None:
    server = _server_block()
    headers = _headers(server)
    assert headers["Content-Security-Policy"] == SPA_CSP
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    # A location with an add_header of its own would drop the server's from its answers.
    for path, block in _nginx_locations().items():
        assert "add_header" not in block, path


def test_vite_preview_reads_its_headers_from_nginx_conf() -> None:
    """make up serves the SPA under the policy it is deployed with: one source, nginx.conf."""
    config = (ROOT / "web" / "vite.config.ts").read_text(encoding="utf-8")
    assert '"../deploy/nginx.conf"' in config
    assert "headers: securityHeaders" in config


def test_nginx_and_the_ingress_rate_limit_logins() -> None:
    conf = NGINX_CONF.read_text(encoding="utf-8")
    assert re.search(r"limit_req_zone \$binary_remote_addr zone=login:\S+ rate=10r/m;", conf)
    assert "limit_req zone=login" in _nginx_locations()["=/api/auth/token"]


def test_every_ingress_is_https_only() -> None:
    for _, document in _k8s_documents():
        if document["kind"] != "Ingress":
            continue
        hosts = {rule.get("host") for rule in document["spec"]["rules"]}
        tls = [h for entry in document["spec"]["tls"] for h in entry["hosts"]]
        assert hosts == set(tls), document["metadata"]["name"]
        assert None not in hosts, document["metadata"]["name"]


def test_network_policies_deny_by_default_and_name_who_may_connect() -> None:
    policies = {
        d["metadata"]["name"]: d["spec"]
        for _, d in _k8s_documents()
        if d["kind"] == "NetworkPolicy"
    }
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    sources = [
        peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        for spec in policies.values()
        for rule in spec.get("ingress", [])
        for peer in rule["from"]
    ]
    assert set(sources) == {None, "ingress-nginx", "monitoring"}


def test_every_base_image_is_pinned_by_digest() -> None:
    images = [
        args.split()[0]
        for dockerfile in ("Dockerfile", "Dockerfile.web")
        for keyword, args in _instructions(DEPLOY / dockerfile)
        if keyword == "FROM"
    ]
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    images += [
        service["image"]
        for service in compose["services"].values()
        if "image" in service and "build" not in service
    ]
    assert images
    for image in images:
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), image


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_lock_files_pin_every_package_with_hashes(lock: str) -> None:
    text = (ROOT / lock).read_text(encoding="utf-8")
    packages = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)(.*?)(?=^\S|\Z)", text, re.M | re.S)
    assert len(packages) > 40
    for name, _, rest in packages:
        assert "--hash=sha256:" in rest, name
