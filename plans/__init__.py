"""Media development plans (Medienkonzept / Medienentwicklungsplan) for DigitalPakt funding.

Pure domain code without HTTP; never imports `schoolcloud`. Modules: `model` (the plan),
`serialize` (JSON export/import), `frameworks` (competence areas), `rulepack` (funding rules per
Land and programme, loaded from the YAML files in `rulepacks/`), `norms` (planning norms),
`calculator` (totals, funding, budget, caps, indicators), `validator` (findings with severity,
code, field path, German and English message and source), `csv_import` (measures, devices and
rooms from CSV/XLSX, all rows or only errors).
"""
