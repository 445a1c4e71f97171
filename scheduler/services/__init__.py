"""Use cases: load rows, call the domain, persist, commit. The only code that commits."""
