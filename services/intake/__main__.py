from services.intake.app import DEFINITION
from shared.platform.service import run

run(DEFINITION)
