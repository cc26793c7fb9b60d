from django.urls import path

from integrations import vendor_contact_views, views

app_name = "integrations"
urlpatterns = [
    path("", views.integration_settings, name="settings"),
    path("<int:pk>/options/", views.integration_options, name="options"),
    path("<int:pk>/test/", views.integration_test, name="test"),
    path("<int:pk>/mappings/", views.integration_mappings, name="mappings"),
    path("<int:pk>/contacts/", vendor_contact_views.integration_contacts, name="contacts"),
    path("<int:pk>/tenant/", views.xero_tenant, name="xero_tenant"),
    path("xero/connect/", views.xero_connect, name="xero_connect"),
    path("xero/callback/", views.xero_callback, name="xero_callback"),
    path("economic/connect/", views.economic_connect, name="economic_connect"),
    path("documents/<int:pk>/", views.document_tab, name="document_tab"),
    path("documents/<int:pk>/resync/", views.resync_modal, name="resync_modal"),
    path("documents/<int:pk>/resync/plan/", views.resync_plan, name="resync_plan"),
    path("documents/<int:pk>/resync/submit/", views.resync_submit, name="resync_submit"),
    path("bulk/", views.bulk_resync, name="bulk_resync"),
    path("bulk/<int:pk>/", views.bulk_status, name="bulk_status"),
    path("attention/resync/", views.attention_resync, name="attention_resync"),
    path("attention/", views.attention_groups, name="attention_groups"),
]
