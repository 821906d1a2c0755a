"""CoopCTG: funding and follow-up of the chargé(e) de coopération Ctg function."""
