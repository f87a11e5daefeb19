"""Jinja2 LaTeX templates, shipped as package data (read only, never written)."""
