"""Harmony's version: the one place it is written down."""

__version__ = "1.0.0"
