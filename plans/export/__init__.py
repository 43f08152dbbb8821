"""Exports of media development plans: PDF, ODT, DOCX, XLSX, ODS (JSON is plans.model's serialisation).

Pure functions from a plan and its figures to bytes; no HTTP, no database, never imports schoolcloud.
"""
