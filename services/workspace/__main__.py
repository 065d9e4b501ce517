from services.workspace.app import run

run()
