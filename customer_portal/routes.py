"""Every page path in one place; builders for paths with parameters."""

HOME = "/"
