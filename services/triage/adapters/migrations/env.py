from alembic import context

from services.triage.adapters.tables import metadata
from shared.platform.migrations import run_env

run_env(context, metadata)
