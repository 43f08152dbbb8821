"""The Helm chart in helm/: lint, render, validate against Kubernetes' schemas, check what it says.

There is no cluster here, so "works" means: helm accepts it, every manifest is valid for Kubernetes
1.31, and the rendered settings are ones schoolcloud.config accepts.
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from schoolcloud.cli import main as cli_main
from schoolcloud.config import PREFIX, VARIABLES, ConfigError, load_settings

try:  # tests/ is a package once it has an __init__.py; until then pytest puts tests/ on sys.path
    from tests.support.helm import HelmUnavailable, helm_binary
except ModuleNotFoundError:
    from support.helm import HelmUnavailable, helm_binary  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm"
PRODUCTION = CHART / "ci" / "production-values.yaml"
KUBERNETES_VERSION = "1.31"
RELEASE = "sc"

DECLARED = {PREFIX + v.name for v in VARIABLES}
SECRET_VARIABLES = {PREFIX + n for n in ("DATABASE_URL", "SECRET_KEY", "S3_ACCESS_KEY", "S3_SECRET_KEY",
                                         "OIDC_CLIENT_SECRET", "REDIS_URL", "ENCRYPTION_KEY")}
# Production values, but every secret given as a plain value, so the chart creates its Secret.
PLAIN_SECRETS = {
    "database": {"existingSecret": "", "url": "postgres://schoolcloud:Pg-Pa55@pg.fra.example.org:5432/schoolcloud"},
    "secretKey": {"existingSecret": "", "value": "Secret-Key-0123456789-abcdefghijklmnop"},
    "s3": {"existingSecret": "", "accessKey": "Access-Key-4711", "secretKey": "S3-Secret-Key-0815"},
    "oidc": {"existingSecret": "", "clientSecret": "Oidc-Client-Secret-42"},
    "redis": {"existingSecret": "", "url": "redis://:Redis-Pa55@redis.schoolcloud:6379/0"},
    "encryption": {"existingSecret": "", "key": "RW5jcnlwdGlvbi1NYXN0ZXIta2V5LTMyLWJ5dGVzISE="},
}
SECRET_VALUES = ["Pg-Pa55", "Secret-Key-0123456789", "Access-Key-4711", "S3-Secret-Key-0815", "Oidc-Client-Secret-42",
                 "Redis-Pa55", "RW5jcnlwdGlvbi1NYXN0ZXIta2V5LTMyLWJ5dGVzISE="]


@pytest.fixture(scope="session")
def helm() -> Path:
    try:
        return helm_binary()
    except HelmUnavailable as exc:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            raise  # CI must run these tests, never skip them
        pytest.skip(str(exc))


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=60)


def render(helm: Path, *values: Path) -> list[dict]:
    args = ["template", RELEASE, str(CHART), "--namespace", "schoolcloud"]
    for path in values:
        args += ["--values", str(path)]
    result = run_helm(helm, *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="session")
def plain_values(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("helm") / "plain-secrets.yaml"
    path.write_text(yaml.safe_dump(PLAIN_SECRETS))
    return path


@pytest.fixture(scope="session")
def rendered(helm, plain_values) -> dict[str, list[dict]]:
    return {
        "default": render(helm),
        "production": render(helm, PRODUCTION),
        "plain": render(helm, PRODUCTION, plain_values),
        "both": render(helm, PRODUCTION, plain_values, PRODUCTION),
    }


def kinds(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def only(docs: list[dict], kind: str, component: str | None = None) -> dict:
    found = [d for d in kinds(docs, kind)
             if component is None or d["metadata"]["labels"].get("app.kubernetes.io/component") == component]
    assert len(found) == 1, f"expected one {kind} {component or ''}, got {len(found)}"
    return found[0]


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    """Every pod template, by a readable name."""
    return {f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]["spec"]
            for d in docs if d["kind"] in ("Deployment", "Job")}


def pod_env(docs: list[dict], pod: dict) -> dict[str, str]:
    """The SCHOOLCLOUD_* environment a pod's container would see, resolved against rendered objects."""
    maps = {d["metadata"]["name"]: d["data"] for d in kinds(docs, "ConfigMap")}
    secrets = {d["metadata"]["name"]: d["stringData"] for d in kinds(docs, "Secret")}
    (container,) = pod["containers"]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = secrets[ref["name"]][ref["key"]]
    return {k: v for k, v in env.items() if k.startswith(PREFIX)}


def env_names(docs: list[dict]) -> set[str]:
    names = {k for d in kinds(docs, "ConfigMap") for k in d["data"]}
    names |= {k for d in kinds(docs, "Secret") for k in d.get("stringData", {})}
    for pod in pod_specs(docs).values():
        names |= {var["name"] for c in pod["containers"] for var in c.get("env", [])}
    return {n for n in names if n.startswith(PREFIX)}


# --- helm itself -------------------------------------------------------------------------------

@pytest.mark.parametrize("values", [[], ["--values", str(PRODUCTION)]], ids=["default", "production"])
def test_lint_strict_passes(helm, values):
    result = run_helm(helm, "lint", "--strict", str(CHART), *values)
    assert result.returncode == 0, result.stdout + result.stderr


INVALID_VALUES = {
    "replicas-not-a-number": ({"replicaCount": "two"}, "/replicaCount"),
    "typo-in-key": ({"replicas": 3}, "replicas"),
    "s3-endpoint-with-scheme": ({"s3": {"endpoint": "https://s3.example.org"}}, "/s3/endpoint"),
    "short-secret-key": ({"secretKey": {"value": "too-short"}}, "/secretKey/value"),
    "sqlite-database": ({"database": {"url": "sqlite:///tmp/db.sqlite3"}}, "/database/url"),
    "unknown-log-level": ({"logLevel": "verbose"}, "/logLevel"),
    "issuer-without-client-secret": ({"oidc": {"issuer": "https://idp.example.org"}}, "/oidc"),
    "zero-idle-minutes": ({"session": {"idleMinutes": 0}}, "/session/idleMinutes"),
}


@pytest.mark.parametrize("case", INVALID_VALUES.values(), ids=INVALID_VALUES.keys())
def test_schema_rejects_invalid_values(helm, tmp_path, case):
    values, where = case
    path = tmp_path / "invalid.yaml"
    path.write_text(yaml.safe_dump(values))
    lint = run_helm(helm, "lint", "--strict", str(CHART), "--values", str(path))
    assert lint.returncode != 0, lint.stdout
    assert "schema" in lint.stdout and where in lint.stdout, lint.stdout
    # install/template check the schema too, so a bad value never reaches a cluster
    template = run_helm(helm, "template", RELEASE, str(CHART), "--values", str(path))
    assert template.returncode != 0 and where in template.stderr, template.stderr


# --- the rendered manifests --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["default", "production", "plain"])
def test_manifests_are_valid_kubernetes(rendered, name):
    for doc in rendered[name]:
        try:
            version = kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
        assert version == KUBERNETES_VERSION


def test_rendered_objects(rendered):
    def summary(docs):
        return sorted(d["kind"] for d in docs)

    base = ["ConfigMap", "Deployment", "Job", "Job", "PodDisruptionBudget", "Service", "ServiceAccount"]
    assert summary(rendered["default"]) == base  # no Ingress by default; no secret values, so no Secret
    production = sorted(base + ["HorizontalPodAutoscaler", "Ingress"])
    assert summary(rendered["production"]) == production  # existing Secrets: none created
    assert summary(rendered["plain"]) == sorted(production + ["Secret", "Secret"])  # release + hook copy


@pytest.mark.parametrize("name", ["default", "production", "plain"])
def test_every_variable_is_declared_in_config(rendered, name):
    names = env_names(rendered[name])
    assert names, "no SCHOOLCLOUD_ variables rendered"
    assert names <= DECLARED, f"not in schoolcloud/config.py: {sorted(names - DECLARED)}"


def test_container_listens_on_all_interfaces(rendered):
    docs = rendered["production"]
    config = only(docs, "ConfigMap")["data"]
    assert config[PREFIX + "HOST"] == "0.0.0.0"
    assert config[PREFIX + "PORT"] == "8000"
    assert config[PREFIX + "STORAGE"] == "s3"
    assert config[PREFIX + "PROCESSOR_NAME"] == "Kommunales Rechenzentrum Musterstadt"
    assert config[PREFIX + "PROCESSOR_DPO"].startswith("Erika Beispiel")
    (container,) = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert only(docs, "Service")["spec"]["ports"][0]["targetPort"] == "http"


def test_probes_use_health_endpoints(rendered):
    (container,) = only(rendered["production"], "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz/live", "port": "http"}


def test_commands_exist_in_cli(rendered):
    docs = rendered["production"]
    commands = {
        "web": only(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["command"],
        "migrate": only(docs, "Job", "migrate")["spec"]["template"]["spec"]["containers"][0]["command"],
        "bootstrap": only(docs, "Job", "bootstrap")["spec"]["template"]["spec"]["containers"][0]["command"],
    }
    assert commands == {"web": ["schoolcloud", "serve"], "migrate": ["schoolcloud", "migrate"],
                        "bootstrap": ["schoolcloud", "bootstrap"]}
    for program, subcommand in commands.values():
        with pytest.raises(SystemExit) as exit_:  # argparse exits 0 on --help, 2 on an unknown command
            cli_main([subcommand, "--help"])
        assert exit_.value.code == 0, f"`{program} {subcommand}` is not a CLI command"


@pytest.mark.parametrize("name", ["default", "production"])
def test_pods_are_locked_down(rendered, name):
    for where, pod in pod_specs(rendered[name]).items():
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert pod["automountServiceAccountToken"] is False, where
        for container in pod["containers"]:
            ctx = container["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True, where
            assert ctx["allowPrivilegeEscalation"] is False, where
            assert ctx["capabilities"] == {"drop": ["ALL"]}, where
            assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), where
            assert "memory" in container["resources"]["limits"], where


def test_secrets_stay_out_of_configmap_and_pod_specs(rendered):
    docs = rendered["plain"]
    assert not SECRET_VARIABLES & only(docs, "ConfigMap")["data"].keys()
    for doc in docs:
        if doc["kind"] == "Secret":
            continue
        text = json.dumps(doc)
        leaked = [value for value in SECRET_VALUES if value in text]
        assert not leaked, f"{doc['kind']}/{doc['metadata']['name']} contains {leaked}"
    release_secret = next(d for d in kinds(docs, "Secret")
                          if "helm.sh/hook" not in d["metadata"].get("annotations", {}))
    assert release_secret["stringData"].keys() == SECRET_VARIABLES


@pytest.mark.parametrize("name", ["production", "both"])
def test_existing_secrets_are_referenced_not_copied(rendered, name):
    docs = rendered[name]  # "both": plain values given too, but the existing Secrets win
    assert not kinds(docs, "Secret")
    (container,) = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    refs = {v["name"]: v["valueFrom"]["secretKeyRef"] for v in container["env"] if "valueFrom" in v}
    assert refs == {
        PREFIX + "DATABASE_URL": {"name": "schoolcloud-database", "key": "database-url"},
        PREFIX + "SECRET_KEY": {"name": "schoolcloud-app", "key": "secret-key"},
        PREFIX + "S3_ACCESS_KEY": {"name": "schoolcloud-s3", "key": "access-key"},
        PREFIX + "S3_SECRET_KEY": {"name": "schoolcloud-s3", "key": "secret-key"},
        PREFIX + "OIDC_CLIENT_SECRET": {"name": "schoolcloud-oidc", "key": "client-secret"},
        PREFIX + "REDIS_URL": {"name": "schoolcloud-redis", "key": "redis-url"},
        PREFIX + "ENCRYPTION_KEY": {"name": "schoolcloud-encryption", "key": "encryption-key"},
    }


@pytest.mark.parametrize("name", ["production", "plain"])
def test_migration_is_a_self_contained_pre_install_hook(rendered, name):
    docs = rendered[name]
    job = only(docs, "Job", "migrate")
    notes = job["metadata"]["annotations"]
    assert notes["helm.sh/hook"] == "pre-install,pre-upgrade"
    # A pre-install hook runs before the release's own objects exist: it may use none of them.
    release_objects = {(d["kind"], d["metadata"]["name"]) for d in docs
                       if "helm.sh/hook" not in d["metadata"].get("annotations", {})}
    hook_secrets = {d["metadata"]["name"]: d for d in kinds(docs, "Secret")
                    if "helm.sh/hook" in d["metadata"].get("annotations", {})}
    pod = job["spec"]["template"]["spec"]
    assert ("ServiceAccount", pod.get("serviceAccountName", "default")) not in release_objects
    (container,) = pod["containers"]
    assert "envFrom" not in container
    for var in container["env"]:
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if ref is None:
            continue
        assert ("Secret", ref["name"]) not in release_objects, var["name"]
        if ref["name"] in hook_secrets:  # the hook's own Secret must be created before the Job
            secret_notes = hook_secrets[ref["name"]]["metadata"]["annotations"]
            assert secret_notes["helm.sh/hook"] == notes["helm.sh/hook"]
            assert int(secret_notes["helm.sh/hook-weight"]) < int(notes["helm.sh/hook-weight"])


def test_service_selects_web_pods_only(rendered):
    docs = rendered["production"]
    selector = only(docs, "Service")["spec"]["selector"].items()
    assert selector <= only(docs, "Deployment")["spec"]["template"]["metadata"]["labels"].items()
    for job in kinds(docs, "Job"):  # a running Job pod must not receive web traffic
        assert not selector <= job["spec"]["template"]["metadata"]["labels"].items()


def test_ingress_serves_base_url_with_tls(rendered):
    ingress = only(rendered["production"], "Ingress")["spec"]
    base_url = yaml.safe_load(PRODUCTION.read_text())["baseUrl"]
    host = base_url.removeprefix("https://")
    assert [rule["host"] for rule in ingress["rules"]] == [host]
    assert ingress["tls"] == [{"hosts": [host], "secretName": f"{RELEASE}-schoolcloud-tls"}]


# --- the app accepts what the chart renders ----------------------------------------------------

def test_app_accepts_rendered_settings(rendered):
    docs = rendered["plain"]
    envs = {where: pod_env(docs, pod) for where, pod in pod_specs(docs).items()}
    web = envs.pop(f"Deployment/{RELEASE}-schoolcloud")
    for where, env in envs.items():  # the Jobs see the same settings as the web pods
        assert env == web, where
    settings = load_settings(web)
    assert (settings.host, settings.port, settings.storage) == ("0.0.0.0", 8000, "s3")
    assert settings.database_url == PLAIN_SECRETS["database"]["url"]
    assert (settings.s3_endpoint, settings.s3_secure) == ("s3.de-fra.example.org:443", True)
    assert (settings.session_idle_minutes, settings.session_max_hours) == (30, 10)
    assert settings.oidc_client_secret == PLAIN_SECRETS["oidc"]["clientSecret"]


def test_unconfigured_database_fails_loudly(rendered):
    # Without a database the app would fall back to SQLite inside the pod; the chart prevents that.
    docs = rendered["default"]
    env = pod_env(docs, only(docs, "Deployment")["spec"]["template"]["spec"])
    with pytest.raises(ConfigError, match=PREFIX + "DATABASE_URL"):
        load_settings(env)


# --- the chart's files agree with the app and the docs -----------------------------------------

def test_chart_defaults_match_app_defaults():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())["properties"]
    app = {v.name: v for v in VARIABLES}
    assert values["session"] == {"idleMinutes": int(app["SESSION_IDLE_MINUTES"].default),
                                 "maxHours": int(app["SESSION_MAX_HOURS"].default)}
    assert values["maxFormBytes"] == int(app["MAX_FORM_BYTES"].default)
    assert values["maxImportBytes"] == int(app["MAX_IMPORT_BYTES"].default)
    assert values["logLevel"] == app["LOG_LEVEL"].default
    assert values["defaultLocale"] == app["DEFAULT_LOCALE"].default
    assert schema["logLevel"]["enum"] == list(app["LOG_LEVEL"].choices)
    assert schema["defaultLocale"]["enum"] == list(app["DEFAULT_LOCALE"].choices)
    assert values["s3"]["bucket"] == app["S3_BUCKET"].default
    assert values["oidc"]["clientId"] == app["OIDC_CLIENT_ID"].default


def test_app_version_matches_package():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert chart["appVersion"] == package, "bump helm/Chart.yaml appVersion (the default image tag)"


def test_readme_lists_every_value():
    def leaves(node: dict, schema: dict, prefix: str = ""):
        for key, value in node.items():
            sub = schema["properties"][key]
            if isinstance(value, dict) and "properties" in sub:  # free-form objects are one row
                yield from leaves(value, sub, f"{prefix}{key}.")
            else:
                yield prefix + key

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    readme = (CHART / "README.md").read_text()
    missing = [key for key in leaves(values, schema) if f"`{key}`" not in readme]
    assert not missing, f"helm/README.md's values table lacks {missing}"
