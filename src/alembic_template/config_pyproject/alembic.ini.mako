# Logging of alembic's commands. Alembic's options are in [tool.alembic] of pyproject.toml,
# written by `alembic init` from alembic-template.

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
