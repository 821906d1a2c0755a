"""Helpers for the référentiel tests."""


def attendu(data, code):
    """The attendu ``code`` (``"M2.O3.A1"``) of a file's data."""
    mission, objective = code.split(".")[0], ".".join(code.split(".")[:2])
    (m,) = [m for m in data["missions"] if m["code"] == mission]
    (o,) = [o for o in m["objectifs"] if o["code"] == objective]
    (a,) = [a for a in o["attendus"] if a["code"] == code]
    return a
