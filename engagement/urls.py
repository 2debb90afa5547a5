"""Early engagement pages, under /engagement/."""

from django.urls import path

from engagement import views

app_name = "engagement"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("yours/", views.request_yours, name="yours"),
    path("new/", views.request_new, name="new"),
    path("alerts/", views.alert_preferences, name="alerts"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/notice.json", views.request_notice, name="notice"),
    path("<int:pk>/edit/<slug:step>/", views.request_step, name="step"),
    path("<int:pk>/check/", views.request_check, name="check"),
    path("<int:pk>/withdraw/", views.request_withdraw, name="withdraw"),
    path("<int:pk>/close/", views.request_close, name="close"),
    path("<int:pk>/procurement/", views.request_procurement, name="procurement"),
    path("<int:pk>/extend-deadline/", views.request_extend_deadline, name="extend_deadline"),
    path("<int:pk>/correct/", views.request_correct, name="correct"),
    path("<int:pk>/message/", views.request_message, name="message"),
    path("<int:pk>/co-owners/", views.request_co_owners, name="co_owners"),
    path(
        "<int:pk>/co-owners/<int:user_id>/remove/",
        views.request_co_owner_remove,
        name="co_owner_remove",
    ),
    path("<int:pk>/matches/", views.request_matches, name="matches"),
    path("<int:pk>/responses/", views.request_responses, name="responses"),
    path("<int:pk>/responses.csv", views.request_responses_csv, name="responses_csv"),
    path("<int:pk>/responses/<int:response_id>/mark/", views.response_mark, name="response_mark"),
    path("<int:pk>/respond/", views.request_respond, name="respond"),
    path("<int:pk>/ask/", views.request_ask, name="ask"),
    path("<int:pk>/questions/", views.request_questions, name="questions"),
    path(
        "<int:pk>/questions/<int:question_id>/answer/",
        views.question_answer,
        name="answer",
    ),
    path(
        "<int:pk>/questions/<int:question_id>/decline/",
        views.question_decline,
        name="decline",
    ),
    path("<int:pk>/participants/", views.request_participants, name="participants"),
    path("<int:pk>/participants.csv", views.request_participants_csv, name="participants_csv"),
]
