"""Interim monitoring: group-sequential boundaries, safety stopping rules and the statistics of each cut."""
