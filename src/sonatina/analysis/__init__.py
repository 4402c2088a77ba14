"""Judging music: metrics, comparisons against human music, memorisation, plots."""
