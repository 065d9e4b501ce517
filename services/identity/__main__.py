from services.identity.app import DEFINITION
from shared.platform.service import run

run(DEFINITION)
