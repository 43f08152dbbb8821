"""The chart's scale-out parts: HorizontalPodAutoscaler, PodDisruptionBudget, Redis. Rendered and
validated like tests/test_helm.py (no cluster here)."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from schoolcloud.config import PREFIX, load_settings
from tests.test_helm import (CHART, KUBERNETES_VERSION, PRODUCTION, RELEASE, helm, kinds, only,  # noqa: F401
                             pod_env, render, run_helm)


@pytest.fixture
def values(tmp_path):
    """Write values to a file; returns its path."""
    def write(data: dict):
        path = tmp_path / f"values-{len(list(tmp_path.iterdir()))}.yaml"
        path.write_text(yaml.safe_dump(data))
        return path
    return write


def validate(docs: list[dict]) -> None:
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_production_scales_with_an_autoscaler_and_keeps_pods_during_drains(helm):
    docs = render(helm, PRODUCTION)
    validate(docs)
    deployment = only(docs, "Deployment")
    assert "replicas" not in deployment["spec"]  # the autoscaler owns the number
    hpa = only(docs, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                     "name": deployment["metadata"]["name"]}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    (cpu,) = hpa["metrics"]
    assert cpu["resource"]["name"] == "cpu" and cpu["resource"]["target"]["averageUtilization"] == 70
    # Utilization is relative to the requests, so the pods must request CPU.
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["requests"]["cpu"]

    pdb = only(docs, "PodDisruptionBudget")["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"].items()
    assert pdb["selector"]["matchLabels"].items() <= pod_labels
    for job in kinds(docs, "Job"):  # a migration pod is no reason to block a drain
        assert not pdb["selector"]["matchLabels"].items() <= job["spec"]["template"]["metadata"]["labels"].items()
    assert pdb["minAvailable"] < hpa["minReplicas"], "the budget must leave a pod to evict"


def test_default_has_a_budget_for_its_two_pods_and_no_autoscaler(helm):
    docs = render(helm)
    assert only(docs, "Deployment")["spec"]["replicas"] == 2
    assert only(docs, "PodDisruptionBudget")["spec"]["minAvailable"] == 1
    assert not kinds(docs, "HorizontalPodAutoscaler")


def test_a_single_pod_gets_no_budget_that_would_block_drains(helm, values):
    docs = render(helm, values({"replicaCount": 1}))
    assert not kinds(docs, "PodDisruptionBudget")


def test_memory_target_and_percentage_budget(helm, values):
    docs = render(helm, PRODUCTION, values({"autoscaling": {"targetMemoryUtilizationPercentage": 80},
                                            "podDisruptionBudget": {"minAvailable": "50%"}}))
    validate(docs)
    metrics = only(docs, "HorizontalPodAutoscaler")["spec"]["metrics"]
    assert [m["resource"]["name"] for m in metrics] == ["cpu", "memory"]
    assert only(docs, "PodDisruptionBudget")["spec"]["minAvailable"] == "50%"


def test_min_replicas_above_max_is_refused(helm, values):
    path = values({"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 3}})
    result = run_helm(helm, "template", RELEASE, str(CHART), "--values", str(path))
    assert result.returncode != 0 and "minReplicas" in result.stderr


@pytest.mark.parametrize("bad, where", [
    ({"redis": {"url": "redis.example.org:6379"}}, "/redis/url"),
    ({"autoscaling": {"targetCPUUtilizationPercentage": 0}}, "/autoscaling/targetCPUUtilizationPercentage"),
    ({"podDisruptionBudget": {"minAvailable": "150%"}}, "/podDisruptionBudget/minAvailable"),
    ({"autoscaling": {"maxReplicas": 0}}, "/autoscaling/maxReplicas"),
])
def test_schema_rejects_bad_scale_out_values(helm, values, bad, where):
    result = run_helm(helm, "lint", "--strict", str(CHART), "--values", str(values(bad)))
    assert result.returncode != 0 and where in result.stdout, result.stdout


def test_redis_url_goes_to_the_secret_and_the_app_accepts_it(helm, values):
    url = "redis://:Redis-Pa55@redis.schoolcloud:6379/0"
    docs = render(helm, values({
        "database": {"url": "postgres://sc:pw@pg.fra.example.org:5432/sc"}, "secretKey": {"value": "k" * 40},
        "s3": {"endpoint": "s3.de-fra.example.org:443", "accessKey": "a", "secretKey": "b"},
        "redis": {"url": url, "prefix": "schule-a:"}}))
    validate(docs)
    config = only(docs, "ConfigMap")["data"]
    assert PREFIX + "REDIS_URL" not in config and config[PREFIX + "REDIS_PREFIX"] == "schule-a:"
    env = pod_env(docs, only(docs, "Deployment")["spec"]["template"]["spec"])
    settings = load_settings(env)
    assert (settings.redis_url, settings.redis_prefix) == (url, "schule-a:")
    migrate = pod_env(docs, only(docs, "Job", "migrate")["spec"]["template"]["spec"])
    assert migrate[PREFIX + "REDIS_URL"] == url


def test_without_redis_nothing_is_rendered_for_it_and_the_notes_say_so(helm):
    docs = render(helm)
    env = pod_env(docs, only(docs, "Deployment")["spec"]["template"]["spec"])
    assert not {PREFIX + "REDIS_URL", PREFIX + "REDIS_PREFIX"} & env.keys()
    notes = run_helm(helm, "install", RELEASE, str(CHART), "--dry-run=client", "--namespace", "schoolcloud")
    assert "several pods without Redis" in notes.stdout, notes.stdout[-2000:]
    production = run_helm(helm, "install", RELEASE, str(CHART), "--dry-run=client", "--namespace", "schoolcloud",
                          "--values", str(PRODUCTION))
    assert "without Redis" not in production.stdout
