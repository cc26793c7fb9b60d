from django.apps import AppConfig


class RogerConfig(AppConfig):
    name = "roger"
    verbose_name = "Companies and members"
