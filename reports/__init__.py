"""Rendering only: templates to HTML/PDF, tables to CSV/XLSX/JSON."""
