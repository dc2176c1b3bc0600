"""Reflex state classes; each calls the domain layer and holds only what its page shows."""
