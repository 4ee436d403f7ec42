# Alembic's configuration, written by `alembic init` from alembic-template.
# The migration environment (env.py) reads the options below; the environment variables
# named in its docstring win over them. Set sqlalchemy.url and target_metadata, then run
# `alembic revision --autogenerate -m "..."` and `alembic upgrade head`.

[alembic]
script_location = ${script_location}
# Revision files sort by creation time: 20251119_120000_<rev>_<message>.py
file_template = %%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d%%(second).2d_%%(rev)s_%%(slug)s
# Your package is imported from this file's folder or its src/ folder; helpers that
# revisions import (backfill) from the migrations folder.
## (Mako turns %% at the start of a line into %; this comment is Mako's, not copied.)
prepend_sys_path =
    %%(here)s
    %%(here)s/src
    ${script_location}
path_separator = newline
output_encoding = utf-8
# env.py runs for `revision` too, to check `-x template=...` and plan stairway revisions;
# without --autogenerate it needs no database.
revision_environment = true

# The database to migrate, as dialect+driver://user:password@host/dbname, e.g.
# postgresql+psycopg://app@localhost/app; $DATABASE_URL wins. Write each % in it as %%.
sqlalchemy.url = driver://user:password@localhost/dbname

# The MetaData of your models, as package.module:attribute, e.g. myapp.models:metadata
# or myapp.db:Base.metadata; every module of that package is imported.
target_metadata = yourpackage.models:metadata

# More table patterns for autogenerate to ignore, besides tmp_*, temp_* and system tables.
exclude_tables =

[post_write_hooks]
# To have new revisions come out lint-clean and formatted, `pip install ruff` and
# uncomment these lines (without ruff installed, `alembic revision` would fail).
# hooks = ruff_fix, ruff_format
# ruff_fix.type = module
# ruff_fix.module = ruff
# ruff_fix.options = check --fix --quiet REVISION_SCRIPT_FILENAME
# ruff_format.type = module
# ruff_format.module = ruff
# ruff_format.options = format --quiet REVISION_SCRIPT_FILENAME

[loggers]
keys = root,sqlalchemy,alembic,alembic_plugins

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

# alembic 1.20 announces each autogenerate plugin it loads; that is noise in every check.
[logger_alembic_plugins]
level = WARNING
handlers =
qualname = alembic.runtime.plugins

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
