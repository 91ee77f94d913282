"""Places in text: recognising mentions (:mod:`.recognise`) and resolving them (:mod:`.resolve`).

Both stages are pure: they take text, a read-only name index and plain values, and never
touch the network; names they cannot answer are handed back as questions for
:mod:`geomap.geocoders`.
"""
