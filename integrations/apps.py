from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        # Document events become sync jobs in the same transaction as the change (DESIGN §5 step 1).
        from integrations import jobs

        jobs.connect_receivers()
