"""Shared UI pieces: page layout, badges, forms."""
