from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RogerConfig(AppConfig):
    name = "roger"
    verbose_name = _("Companies and members")

    def ready(self) -> None:
        from roger import languages, operators  # noqa: F401  (signal receivers)

        post_migrate.connect(operators.ensure_operator_group, sender=self)
