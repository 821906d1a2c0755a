"""Tableaux de bord (collectivité, Caf) and échéances: read-only views over the other parts.

No model: :mod:`coopctg.dashboards.services` gathers the data in a bounded number of queries,
:mod:`coopctg.dashboards.charts` draws accessible SVG charts (pure functions, no JavaScript).
"""
