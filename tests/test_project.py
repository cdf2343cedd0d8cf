"""The project's own scaffolding: compose file, production settings, migrations."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_docker_compose_is_valid_against_the_compose_specification():
    result = subprocess.run(
        [
            Path(sys.executable).with_name("check-jsonschema"),
            "--builtin-schema", "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def _compose() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_docker_compose_has_its_services_and_shares_the_web_definition():
    services = _compose()["services"]
    assert set(services) == {
        "migrate", "web", "worker", "beat", "postgres", "redis", "minio",
        "minio-bucket",
    }  # fmt: skip
    assert "gunicorn" in " ".join(services["web"]["command"])
    for name in ("migrate", "worker", "beat"):
        assert services[name]["image"] == services["web"]["image"]
        assert services[name]["environment"] == services["web"]["environment"]


def test_docker_compose_starts_each_service_after_what_it_needs():
    compose = _compose()
    services = compose["services"]
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, (name, needed)
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], (name, needed)
            else:
                assert how["condition"] == "service_completed_successfully"
                assert services[needed]["restart"] == "no", needed
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], volume
    for name in ("web", "worker", "beat"):
        assert set(services[name]["depends_on"]) == {
            "postgres", "redis", "minio-bucket", "migrate",
        }  # fmt: skip
    for name in ("web", "worker", "postgres", "redis", "minio"):
        assert "healthcheck" in services[name], name


def test_docker_compose_keeps_files_in_minio_and_queues_on_disk():
    services = _compose()["services"]
    env = services["web"]["environment"]
    assert env["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["AWS_S3_ADDRESSING_STYLE"] == "path"
    assert env["LOG_FORMAT"] == "json"
    assert "SENTRY_DSN" in env
    # The one-shot service makes the bucket the processes are given.
    bucket_env = services["minio-bucket"]["environment"]
    assert bucket_env["BUCKET"] == env["AWS_STORAGE_BUCKET_NAME"]
    assert 'mc mb --ignore-existing "minio/$$BUCKET"' in " ".join(
        services["minio-bucket"]["entrypoint"]
    )
    redis = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])


def test_docker_compose_runs_one_beat_and_no_worker_schedules():
    services = _compose()["services"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "beat" in services["beat"]["command"]
    for name, service in services.items():
        if name != "beat":
            command = service.get("command", [])
            assert "-B" not in command and "--beat" not in command, name


def _run_django(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_django({"DJANGO_DEBUG": "off", "DJANGO_ALLOWED_HOSTS": "crm.example"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deploy_checks():
    result = _run_django(
        {
            "DJANGO_DEBUG": "off",
            "DJANGO_SECRET_KEY": "x" * 60 + "production-test-key",
            "DJANGO_ALLOWED_HOSTS": "crm.example",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _setting_in(env_overrides: dict[str, str], name: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.pop("ACCOUNT_EMAIL_VERIFICATION", None)
    env.update(env_overrides)
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_production_asks_new_accounts_to_confirm_their_address():
    production = {
        "DJANGO_DEBUG": "off",
        "DJANGO_SECRET_KEY": "x" * 60 + "production-test-key",
        "DJANGO_ALLOWED_HOSTS": "crm.example",
    }
    assert _setting_in(production, "ACCOUNT_EMAIL_VERIFICATION") == "mandatory"
    assert _setting_in({"DJANGO_DEBUG": "on"}, "ACCOUNT_EMAIL_VERIFICATION") == (
        "optional"
    )
