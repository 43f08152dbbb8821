"""JSON API for accounts, classes and courses (filled in by the accounts work)."""

routes: list = []
