"""Experiments: running scenarios, summarising and writing their results."""
