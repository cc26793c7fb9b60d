from django.urls import path

from documents import create_views, file_views, views

app_name = "documents"
urlpatterns = [
    path("", views.document_list, name="list"),
    path("new/", create_views.document_new, name="new"),
    path("bill-options/", create_views.bill_options, name="bill_options"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/edit/", views.document_edit, name="edit"),
    path("<int:pk>/approve/", views.document_approve, name="approve"),
    path("<int:pk>/submit/", views.document_submit, name="submit"),
    path("<int:pk>/pay/", views.payment_create, name="pay"),
    path("<int:pk>/mark-paid/", views.document_mark_paid, name="mark_paid"),
    path("<int:pk>/file/", file_views.document_file, name="file"),
    path("<int:pk>/file/upload/", file_views.document_file_upload, name="file_upload"),
    path("d/<uuid:public_id>/", views.document_by_public_id, name="by_public_id"),
]
