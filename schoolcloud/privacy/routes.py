"""Pages of the privacy domain; app.py registers ``routes``; split by topic into routes_* modules."""

from schoolcloud.privacy.routes_audit import routes as audit_routes
from schoolcloud.privacy.routes_consent import routes as consent_routes
from schoolcloud.privacy.routes_export import routes as export_routes
from schoolcloud.privacy.routes_records import routes as records_routes
from schoolcloud.privacy.routes_retention import routes as retention_routes

routes: list = [*audit_routes, *consent_routes, *export_routes, *records_routes, *retention_routes]
