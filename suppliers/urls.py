"""Registry pages. Included at the site root, so the paths below are the public URLs.

The fixed paths come before ``suppliers/<slug>/``: a supplier can never be reached at
``compare`` or ``shortlists`` (suppliers.services.slug_for must not hand out those).
"""

from django.urls import path

from suppliers import registration_views, views

app_name = "suppliers"

urlpatterns = [
    path("suppliers/", views.search, name="search"),
    path("suppliers/export.csv", views.export, name="export"),
    path("suppliers/compare/", views.compare, name="compare"),
    path("suppliers/shortlists/", views.shortlist_list, name="shortlists"),
    path("suppliers/shortlists/<int:pk>/", views.shortlist_detail, name="shortlist"),
    path("suppliers/shortlists/<int:pk>/edit/", views.shortlist_edit, name="shortlist_edit"),
    path("suppliers/shortlists/<int:pk>/delete/", views.shortlist_delete, name="shortlist_delete"),
    path(
        "suppliers/shortlists/<int:pk>/export.csv",
        views.shortlist_export,
        name="shortlist_export",
    ),
    path(
        "suppliers/shortlists/<int:pk>/entries/<int:entry_pk>/note/",
        views.shortlist_entry_note,
        name="shortlist_entry_note",
    ),
    path(
        "suppliers/shortlists/<int:pk>/entries/<int:entry_pk>/remove/",
        views.shortlist_entry_remove,
        name="shortlist_entry_remove",
    ),
    *registration_views.urlpatterns,
    path("suppliers/<slug:slug>/shortlist/", views.shortlist_add, name="shortlist_add"),
    path("suppliers/<slug:slug>/", views.detail, name="detail"),
    path("techmap/", views.market_map, name="market_map"),
]
