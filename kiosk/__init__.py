"""Kiosk: an offline talking avatar for a child."""

__all__ = ["__version__"]

__version__ = "0.1.0"
