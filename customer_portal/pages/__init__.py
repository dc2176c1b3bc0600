"""One module per page; each binds state to components and nothing more."""
