"""The load balancer's health check: public (tests/core/test_health.py checks what it says)."""

RULES: dict = {}

#: Public pages: name → (kwargs built from the world, status for an anonymous visitor).
PUBLIC = {"health": (lambda w: {}, 200)}
