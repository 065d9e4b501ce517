from services.outcomes.app import DEFINITION
from shared.platform.service import run

run(DEFINITION)
