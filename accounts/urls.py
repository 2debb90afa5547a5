from django.urls import path

from accounts import token_views, views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("api-tokens/", token_views.token_list, name="api_tokens"),
    path("api-tokens/new/", token_views.token_create, name="api_token_create"),
    path("api-tokens/<int:pk>/revoke/", token_views.token_revoke, name="api_token_revoke"),
    path("public-body/", views.public_body, name="public_body"),
]
