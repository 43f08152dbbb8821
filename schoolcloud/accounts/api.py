"""JSON API for accounts, classes, courses, the class-list import and (for operators) schools.

Mounted at /api/v1 by api/routes.py; every endpoint's docstring is its OpenAPI operation.
"""

from schoolcloud.accounts.api_groups import routes as group_routes
from schoolcloud.accounts.api_imports import routes as import_routes
from schoolcloud.accounts.api_users import routes as user_routes
from schoolcloud.operator.api import routes as school_routes

routes: list = [*user_routes, *group_routes, *import_routes, *school_routes]
