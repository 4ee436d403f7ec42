# Alembic's configuration, written by `alembic init` from alembic-template.
# The migration environment (env.py) reads the options below; the environment variables
# named in its docstring win over them. Set sqlalchemy.url and target_metadata, then run
# `alembic revision --autogenerate -m "..."` and `alembic upgrade head`.
[tool.alembic]
script_location = "${script_location}"
# Revision files sort by creation time: 20251119_120000_<rev>_<message>.py
file_template = "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d%%(second).2d_%%(rev)s_%%(slug)s"
# Your package is imported from this file's folder or its src/ folder; helpers that
# revisions import (backfill) from the migrations folder.
prepend_sys_path = ["%(here)s", "%(here)s/src", "${script_location}"]
output_encoding = "utf-8"
# env.py runs for `revision` too, to check `-x template=...` and plan stairway revisions;
# without --autogenerate it needs no database.
revision_environment = true
# The database to migrate, as dialect+driver://user:password@host/dbname, e.g.
# postgresql+psycopg://app@localhost/app; $DATABASE_URL wins.
"sqlalchemy.url" = "driver://user:password@localhost/dbname"
# The MetaData of your models, as package.module:attribute, e.g. myapp.models:metadata
# or myapp.db:Base.metadata; every module of that package is imported.
target_metadata = "yourpackage.models:metadata"
# More table patterns for autogenerate to ignore, besides tmp_*, temp_* and system tables.
exclude_tables = []

# To have new revisions come out lint-clean and formatted, `pip install ruff` and
# uncomment these tables (without ruff installed, `alembic revision` would fail).
# [[tool.alembic.post_write_hooks]]
# name = "ruff_fix"
# type = "module"
# module = "ruff"
# options = "check --fix --quiet REVISION_SCRIPT_FILENAME"
#
# [[tool.alembic.post_write_hooks]]
# name = "ruff_format"
# type = "module"
# module = "ruff"
# options = "format --quiet REVISION_SCRIPT_FILENAME"
