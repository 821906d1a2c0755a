"""The benchmark of CoopCTG (``make bench``; README, « Banc de mesure »).

:mod:`coopctg.bench.dataset` builds a throwaway database at a chosen scale through the
application's own services (the Touraine demonstration, then more Ctg with their Cof, bilans and
instances, and more Caf); :mod:`coopctg.bench.measure` measures every list page and API list
(derived from the URL configuration) for three people, and the heavy operations;
``python -m coopctg.bench`` runs one process per scale and prints the table.
"""
