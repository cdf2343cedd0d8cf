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


def test_docker_compose_has_the_five_services_and_shares_the_web_definition():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    assert "gunicorn" in " ".join(services["web"]["command"])
    for name in ("worker", "beat"):
        assert services[name]["image"] == services["web"]["image"]
        assert services[name]["environment"] == services["web"]["environment"]


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
