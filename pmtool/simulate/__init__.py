"""Simulated event data: playouts of process models, with noise."""
