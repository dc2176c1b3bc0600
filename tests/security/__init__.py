"""Attacks replayed against the portal, one test per attack (issue 8)."""
