"""All page routes of the planning domain, for schoolcloud.app."""

from schoolcloud.planning.routes import routes as list_pages
from schoolcloud.planning.routes_carrier import routes as carrier_pages
from schoolcloud.planning.routes_editor import routes as editor_pages
from schoolcloud.planning.routes_export import routes as export_pages
from schoolcloud.planning.routes_import import routes as import_pages
from schoolcloud.operator.carriers import routes as operator_pages
from schoolcloud.planning.routes_versions import routes as version_pages

routes = [*list_pages, *editor_pages, *version_pages, *export_pages, *import_pages, *carrier_pages,
          *operator_pages]
