"""Extraction profiles shipped with pmtool (package data)."""
