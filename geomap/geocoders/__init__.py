"""geopy-compatible geocoders: the local gazetteer, and the online fallback chain."""
