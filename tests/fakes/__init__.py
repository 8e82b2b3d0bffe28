"""Faithful fake providers served as real HTTP servers on 127.0.0.1 (see base.py)."""
