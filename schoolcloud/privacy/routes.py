"""Pages of the privacy domain; app.py registers ``routes``; split by topic into routes_* modules."""

from schoolcloud.privacy.routes_audit import routes as audit_routes

routes: list = [*audit_routes]
