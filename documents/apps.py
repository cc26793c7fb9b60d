from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from documents.search import register_sqlite_fold

        # SQLite has no unaccent: the search's fold function is Python, registered on every new connection.
        connection_created.connect(register_sqlite_fold, dispatch_uid="documents.search.fold")
