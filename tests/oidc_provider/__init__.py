"""A real OpenID Connect provider for the test suite (django-oidc-provider), never deployed.

``tests/accounts/conftest.py`` starts it with gunicorn on 127.0.0.1 (a free port, its own
SQLite file in a temporary folder) for the tests of the OpenID Connect login; see
``bootstrap.py`` for the people and the client it knows.
"""
