from alembic import context

from services.identity.adapters.tables import metadata
from shared.platform.migrations import run_env

run_env(context, metadata)
