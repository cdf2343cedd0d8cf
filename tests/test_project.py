"""The project's own scaffolding: compose file, production settings, migrations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

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


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@on_postgresql
@pytest.mark.django_db
def test_a_request_path_statement_is_prepared_once_per_connection(crm_a):
    from crm.models import CrmUser
    from crm.sessions import crm_user_with_crm

    owner = CrmUser.objects.get(crm=crm_a)
    for _ in range(6):
        assert crm_user_with_crm(crm_slug=crm_a.slug, user_ids=[owner.pk]) == owner
    statements = [s for s in _prepared_statements() if "c.slug = $1" in s]
    assert len(statements) == 1, _prepared_statements()


@on_postgresql
@pytest.mark.django_db
def test_other_queries_still_take_any_number_of_parameters(crm_a):
    """Server-side binding caps a statement at 65,535 parameters; the ORM's
    queries keep client-side binding, so a long ``id__in`` still works."""
    from crm.models import Contact

    ids = list(range(1, 70_001))
    assert list(Contact.objects.filter(pk__in=ids)) == []
    assert Contact.objects.filter(pk__in=ids).delete()[0] == 0
