"""pytest-alembic's four default tests and its two experimental ones, unmodified."""

from pytest_alembic.tests import (  # noqa: F401
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from pytest_alembic.tests.experimental import (  # noqa: F401
    test_all_models_register_on_metadata,
    test_downgrade_leaves_no_trace,
)
