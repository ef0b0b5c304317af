"""The deploy/ files: Kubernetes manifests valid against the Kubernetes schemas, only settings
Agora knows, probes on the right endpoints, and an image that runs as non-root with a healthcheck.

No Docker engine or cluster is needed: the files are parsed and checked as text/YAML.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from agora.outbox import HEALTH_MAX_AGE
from agora.settings import PREFIX, known_env_names

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
# A recent Kubernetes release among those kubernetes-validate bundles schemas for.
KUBERNETES_VERSION = "1.33"
NOT_KUBERNETES_OBJECTS = {"kustomization.yaml"}  # read by kubectl -k, not sent to the API


def manifest_files() -> list[Path]:
    return sorted(p for p in KUBERNETES.glob("*.yaml") if p.name not in NOT_KUBERNETES_OBJECTS)


def load_manifests() -> list[tuple[str, dict]]:
    documents = []
    for path in manifest_files():
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                documents.append((path.name, document))
    return documents


def by_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for _, d in load_manifests() if d["kind"] == kind}


def pod_specs() -> list[tuple[str, dict]]:
    specs = []
    for _, document in load_manifests():
        if document["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
            specs.append((document["metadata"]["name"], document["spec"]["template"]["spec"]))
    return specs


def app_container() -> dict:
    [container] = by_kind("Deployment")["agora-app"]["spec"]["template"]["spec"]["containers"]
    return container


# ---- Kubernetes ---------------------------------------------------------------------------------


def test_every_kind_the_deployment_needs_is_there():
    kinds = {document["kind"] for _, document in load_manifests()}
    assert {
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "Job",
    } <= kinds
    assert set(by_kind("Deployment")) == {"agora-app", "agora-worker"}


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_manifest_is_valid_against_the_kubernetes_schema(path):
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert documents, f"{path.name} holds no object"
    for document in documents:
        # strict: unknown fields (a typo such as `readinesProbe`) fail too.
        version = kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        assert version == KUBERNETES_VERSION


def test_schema_validation_rejects_a_misspelled_field():
    """Guards the test above: a broken manifest must not pass silently."""
    deployment = yaml.safe_load((KUBERNETES / "app-deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_manifests_are_namespace_less():
    for name, document in load_manifests():
        assert "namespace" not in document["metadata"], name


def test_hpa_uses_autoscaling_v2_and_targets_the_app_deployment():
    [hpa] = by_kind("HorizontalPodAutoscaler").values()
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "agora-app")
    assert hpa["spec"]["minReplicas"] >= 2


def test_selectors_match_their_pod_labels():
    for name, deployment in by_kind("Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
    app_labels = by_kind("Deployment")["agora-app"]["spec"]["template"]["metadata"]["labels"]
    worker_labels = by_kind("Deployment")["agora-worker"]["spec"]["template"]["metadata"]["labels"]
    [service] = by_kind("Service").values()
    selector = service["spec"]["selector"]
    assert selector.items() <= app_labels.items()
    assert not selector.items() <= worker_labels.items(), "the Service must not route to workers"
    for pdb in by_kind("PodDisruptionBudget").values():
        assert pdb["spec"]["selector"]["matchLabels"].items() <= app_labels.items()


def test_service_targets_the_app_container_port():
    [service] = by_kind("Service").values()
    port_names = {p["name"] for p in app_container()["ports"]}
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in port_names


def test_app_probes_readiness_on_ready_and_liveness_on_health():
    container = app_container()
    port_names = {p["name"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        if probe in container:
            assert container[probe]["httpGet"]["port"] in port_names, probe
            # Liveness must not depend on PostgreSQL/Redis, or an outage restarts every pod.
            if probe != "readinessProbe":
                assert container[probe]["httpGet"]["path"] == "/health", probe


def test_containers_run_as_non_root_with_resources_and_commands_agora_knows():
    commands = {}
    for name, spec in pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        for container in spec["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["resources"]["requests"], name
            assert container["resources"]["limits"]["memory"], name
            commands[name] = container["args"]
    assert commands == {
        "agora-app": ["agora", "serve"],
        "agora-worker": ["agora", "worker"],
        "agora-migrate": ["agora", "migrate"],
    }


def test_pods_take_config_from_the_configmap_and_secret_defined_here():
    config_maps, secrets = set(by_kind("ConfigMap")), set(by_kind("Secret"))
    for name, spec in pod_specs():
        for container in spec["containers"]:
            sources = container["envFrom"]
            used_maps = {s["configMapRef"]["name"] for s in sources if "configMapRef" in s}
            used_secrets = {s["secretRef"]["name"] for s in sources if "secretRef" in s}
            assert used_maps and used_maps <= config_maps, name
            assert used_secrets and used_secrets <= secrets, name


def test_connection_urls_live_in_the_secret_not_the_configmap():
    [secret] = by_kind("Secret").values()
    assert {"AGORA_DATABASE_URL", "AGORA_REDIS_URL"} <= set(secret["stringData"])
    for config_map in by_kind("ConfigMap").values():
        assert not {"AGORA_DATABASE_URL", "AGORA_REDIS_URL"} & set(config_map["data"])
    # In a cluster the embedded servers would be wrong: both URLs must be set.
    assert all(secret["stringData"][k] for k in ("AGORA_DATABASE_URL", "AGORA_REDIS_URL"))


def test_kubernetes_sets_only_settings_agora_knows():
    names = set()
    for _, document in load_manifests():
        if document["kind"] == "ConfigMap":
            names |= set(document["data"])
        if document["kind"] == "Secret":
            names |= set(document.get("stringData", {})) | set(document.get("data", {}))
    for _, spec in pod_specs():
        for container in spec["containers"]:
            names |= {e["name"] for e in container.get("env", [])}
    assert names, "no environment variable found"
    assert names <= known_env_names(), sorted(names - known_env_names())
    # The app must listen beyond localhost inside a pod.
    [config_map] = by_kind("ConfigMap").values()
    assert config_map["data"]["AGORA_HOST"] == "0.0.0.0"


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [p.name for p in manifest_files()]


# ---- compose ------------------------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_has_app_worker_postgres_15_and_redis_7():
    services = compose()["services"]
    assert set(services) == {"app", "worker", "postgres", "redis"}
    assert services["app"]["command"] == ["agora", "serve"]
    assert services["worker"]["command"] == ["agora", "worker"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"


def test_compose_services_have_healthchecks_and_wait_for_healthy_dependencies():
    services = compose()["services"]
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    for name in ("app", "worker"):
        depends_on = services[name]["depends_on"]
        for dependency in ("postgres", "redis"):
            assert depends_on[dependency]["condition"] == "service_healthy", name
    assert "/ready" in " ".join(services["app"]["healthcheck"]["test"])
    # The worker serves no HTTP: it must not inherit the image's /health check.
    assert "/health" not in " ".join(services["worker"]["healthcheck"]["test"])


def test_compose_points_app_and_worker_at_its_own_postgres_and_redis():
    services = compose()["services"]
    for name in ("app", "worker"):
        environment = services[name]["environment"]
        assert "@postgres:5432/" in environment["AGORA_DATABASE_URL"], name
        assert environment["AGORA_REDIS_URL"].startswith("redis://redis:6379"), name


def test_compose_sets_only_settings_agora_knows():
    names = set()
    for service in compose()["services"].values():
        environment = service.get("environment", {})
        if isinstance(environment, list):  # the `- KEY=value` form
            environment = dict(item.partition("=")[::2] for item in environment)
        names |= {name for name in environment if name.startswith(PREFIX)}
    assert {"AGORA_DATABASE_URL", "AGORA_REDIS_URL", "AGORA_PUBLIC_URL"} <= names
    assert names <= known_env_names(), sorted(names - known_env_names())


# ---- Dockerfile ---------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not pending):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            for item in shlex.split(arguments):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def test_dockerfile_is_multi_stage_on_python_slim():
    froms = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM"]
    assert len(froms) >= 2
    args = {
        a.partition("=")[0]: a.partition("=")[2]
        for k, a in dockerfile_instructions()
        if k == "ARG" and "=" in a
    }
    base = froms[-1].split()[0]
    base = args.get(base.strip("${}"), base)
    assert base.startswith("python:3.12-slim")
    # The runtime stage copies the built venv, never the source tree.
    copies = [arguments for keyword, arguments in final_stage() if keyword == "COPY"]
    assert copies and all(c.startswith("--from=") for c in copies)


def test_dockerfile_runs_as_non_root():
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "the runtime stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    # Numeric, so Kubernetes' runAsNonRoot can check it; the same uid as the manifests.
    assert user.isdigit()
    for name, spec in pod_specs():
        assert spec["securityContext"]["runAsUser"] == int(user), name


def test_dockerfile_has_a_healthcheck_on_health_and_serves_by_default():
    stage = final_stage()
    healthchecks = [arguments for keyword, arguments in stage if keyword == "HEALTHCHECK"]
    assert healthchecks and "/health" in healthchecks[-1]
    assert "urllib" in healthchecks[-1]  # slim images have no curl
    [cmd] = [arguments for keyword, arguments in stage if keyword == "CMD"]
    assert cmd == '["agora", "serve"]'
    assert dockerfile_env()["AGORA_HOST"] == "0.0.0.0"


def test_dockerfile_proves_the_installed_package_finds_its_migrations():
    instructions = dockerfile_instructions()
    # They ship inside the package; nothing copies them beside it any more.
    assert not any(keyword == "COPY" and "migrations" in a for keyword, a in instructions)
    runs = " ".join(a for keyword, a in instructions if keyword == "RUN")
    assert "python -P -c" in runs and "discover_migrations()" in runs


def test_dockerfile_sets_only_settings_agora_knows():
    names = {name for name in dockerfile_env() if name.startswith(PREFIX)}
    assert names
    assert names <= known_env_names(), sorted(names - known_env_names())


def test_docker_build_context_is_an_allow_list():
    lines = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"  # everything excluded first (.venv, .agora, .git, ...)
    assert {"!pyproject.toml", "!agora", "!forum", "!peerreview"} <= set(patterns)


# ---- the worker's health probe ------------------------------------------------------------------


def worker_probe_commands() -> dict[str, list[str]]:
    [container] = by_kind("Deployment")["agora-worker"]["spec"]["template"]["spec"]["containers"]
    compose_test = compose()["services"]["worker"]["healthcheck"]["test"]
    assert compose_test[0] == "CMD"
    return {
        "kubernetes": container["livenessProbe"]["exec"]["command"],
        "compose": compose_test[1:],
    }


def test_compose_and_kubernetes_probe_the_worker_with_the_same_command():
    commands = worker_probe_commands()
    assert commands["kubernetes"] == commands["compose"]
    assert "agora.outbox" in " ".join(commands["compose"])


def test_the_worker_probe_passes_only_while_the_relay_beats(tmp_path):
    """Run as the probes run it (`python` is the image's interpreter), in a temporary directory
    of its own: no health file fails, a fresh one passes, a stale one fails."""
    command = [sys.executable, *worker_probe_commands()["compose"][1:]]
    environment = {**os.environ, "TMPDIR": str(tmp_path)}

    def probe() -> int:
        return subprocess.run(command, env=environment, timeout=30, check=False).returncode

    assert probe() == 1
    health = tmp_path / "agora-worker.health"
    health.touch()
    assert probe() == 0
    stale = time.time() - HEALTH_MAX_AGE - 1
    os.utime(health, (stale, stale))
    assert probe() == 1
