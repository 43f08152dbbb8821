"""Pages and API for the instance operators: schools and their first administrators."""
