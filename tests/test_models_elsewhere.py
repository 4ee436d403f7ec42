"""Models in more than one place: models_modules imports plugins, target_metadata may
name several MetaData (alembic compares a list)."""

from __future__ import annotations

from .projects import add_example, alembic

CLEAN = "No new upgrade operations detected"
ELSEWHERE = {
    "ALEMBIC_MODELS_MODULES": "trading_bot_plugins",
    "ALEMBIC_TARGET_METADATA": "trading_bot.models:metadata, reports:metadata",
}


def test_models_in_plugins_and_a_second_package_are_compared(project_copy, tmp_path):
    project = project_copy("default")
    add_example(project, "models-elsewhere")
    url = {"DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.db'}"}
    alembic(project, "upgrade", "head", extra_env=url)
    assert CLEAN in alembic(project, "check", extra_env=url).stdout  # the models alone

    check = alembic(project, "check", extra_env={**url, **ELSEWHERE}, check=False)
    assert check.returncode != 0
    assert "audit_events" in check.stdout + check.stderr
    assert "report_runs" in check.stdout + check.stderr

    alembic(
        project, "revision", "--autogenerate", "-m", "elsewhere", extra_env={**url, **ELSEWHERE}
    )
    (revision,) = (project / "migrations" / "versions").glob("*_elsewhere.py")
    text = revision.read_text()
    assert 'op.create_table(\n        "audit_events"' in text, text
    assert 'op.create_table(\n        "report_runs"' in text, text
    alembic(project, "upgrade", "head", extra_env={**url, **ELSEWHERE})
    assert CLEAN in alembic(project, "check", extra_env={**url, **ELSEWHERE}).stdout


def test_a_models_module_that_cannot_be_imported_is_one_line(project_copy, tmp_path):
    project = project_copy("default")
    url = {"DATABASE_URL": f"sqlite:///{tmp_path / 'missing.db'}"}
    result = alembic(
        project,
        "check",
        extra_env={**url, "ALEMBIC_MODELS_MODULES": "no_such_plugins"},
        check=False,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("FAILED:")]
    assert "models_modules: cannot import 'no_such_plugins'" in line
