from django.apps import AppConfig
from django.db.backends.signals import connection_created


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from documents.search import register_sqlite_fold

        # SQLite has no unaccent: the search's fold function is Python, registered on every new connection.
        connection_created.connect(register_sqlite_fold, dispatch_uid="documents.search.fold")
