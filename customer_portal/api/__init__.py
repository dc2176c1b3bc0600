"""HTTP routes served beside the Reflex pages, on the same port."""
