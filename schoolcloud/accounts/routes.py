"""Pages for accounts, classes, courses, the class-list import and (for operators) schools.

app.py registers ``routes``; the pages are split by topic into the routes_* modules.
"""

from schoolcloud.accounts.routes_groups import routes as group_routes
from schoolcloud.accounts.routes_import import routes as import_routes
from schoolcloud.accounts.routes_schoolyear import routes as school_year_routes
from schoolcloud.accounts.routes_users import routes as user_routes
from schoolcloud.operator.routes import routes as operator_routes

routes: list = [*user_routes, *group_routes, *import_routes, *school_year_routes, *operator_routes]
