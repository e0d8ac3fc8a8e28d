"""Callbacks, one module per page, each with `register(app)`; every callback declares its permission."""
