"""Pure layout functions: component trees with ids, no I/O and no data."""
