"""The staff workspace: server-rendered pages that call the services' APIs as the signed-in person.

It has no database and no topics of its own: every rule stays in the service that enforces it, and the
workspace shows what that service answers (a 403 as the "not yours" page, a 422's problems as form errors).
"""
