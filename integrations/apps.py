from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        # Document events become sync jobs in the same transaction as the change (DESIGN §5 step 1).
        from integrations import checks, jobs  # noqa: F401 — checks registers the start-up checks

        jobs.connect_receivers()
        register_document_extensions()
        # The sweeper recovers killed workers and due retries in every deployment, not only the demo: its schedule
        # is (re)created whenever the database is migrated.
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="integrations.ensure_schedules")


def _ensure_schedules(**kwargs) -> None:
    from integrations import tasks

    tasks.ensure_schedules()


def register_document_extensions() -> None:
    """What integrations adds to the document pages, without ``documents`` importing ``integrations``."""
    from django.utils.translation import gettext_lazy as _

    from documents.extensions import DetailTab, ListFilter, ListTab, registry
    from integrations import selectors

    if any(t.key == "attention" for t in registry.list_tabs):
        return  # ready() may run twice (tests, autoreload); register once
    registry.list_tabs.append(
        ListTab(
            key="attention",
            label=_("Requires attention"),
            filter=selectors.attention_filter,
            count=selectors.attention_count,
            header_template="integrations/_attention_groups.html",
            header_context=selectors.attention_header_context,
        )
    )
    registry.list_filters.append(
        ListFilter(key="sync", label=_("ERP sync"), choices=selectors.SYNC_STATES, apply=selectors.filter_by_sync_state)
    )
    registry.row_decorators.append(
        lambda company, documents: selectors.badges_for(company=company, documents=documents)
    )
    registry.list_toolbar_templates.append("integrations/_bulk_toolbar.html")
    registry.header_templates.append("integrations/_select_all.html")
    registry.row_templates.append("integrations/_row_select.html")
    registry.header_end_templates.append("integrations/_badges_header.html")
    registry.row_end_templates.append("integrations/_row_badges.html")
    registry.detail_tabs.append(
        DetailTab(key="integrations", label=_("Integrations"), url_name="integrations:document_tab")
    )
