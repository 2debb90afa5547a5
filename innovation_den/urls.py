"""/den/: the innovation den's pages."""

from django.urls import path

from innovation_den import views

app_name = "innovation_den"
urlpatterns = [
    path("", views.home, name="home"),
    path("lessons/", views.lessons, name="lessons"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("propose/", views.proposal_create, name="propose"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="edit"),
    path(
        "proposals/<int:pk>/success-criteria/add/",
        views.success_criterion_add,
        name="success_criterion_add",
    ),
    path(
        "proposals/<int:pk>/stop-criteria/add/", views.stop_criterion_add, name="stop_criterion_add"
    ),
    path("proposals/<int:pk>/risks/add/", views.risk_add, name="risk_add"),
    path("proposals/<int:pk>/partners/add/", views.partner_add, name="partner_add"),
    path(
        "proposals/<int:pk>/partners/<int:partner>/answer/",
        views.partner_answer,
        name="partner_answer",
    ),
    path(
        "proposals/<int:pk>/<str:kind>/<int:item>/remove/",
        views.item_remove,
        name="item_remove",
    ),
    path("proposals/<int:pk>/sponsor/confirm/", views.sponsor_confirm, name="sponsor_confirm"),
    path("proposals/<int:pk>/submit/", views.proposal_submit, name="submit"),
    path("proposals/<int:pk>/start-review/", views.proposal_start_review, name="start_review"),
    path("proposals/<int:pk>/review/", views.review, name="review"),
    path("proposals/<int:pk>/decide/", views.decide, name="decide"),
    path("proposals/<int:pk>/start/", views.proposal_start, name="start"),
    path("proposals/<int:pk>/progress/add/", views.progress_add, name="progress_add"),
    path("proposals/<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("proposals/<int:pk>/graduate/", views.graduate, name="graduate"),
    path("proposals/<int:pk>/close/", views.close, name="close"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path(
        "rounds/<int:pk>/members/<int:member>/remove/",
        views.round_member_remove,
        name="round_member_remove",
    ),
    path("rounds/<int:pk>/close/", views.round_close, name="round_close"),
]
