from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("yours/", views.yours, name="yours"),
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/report/", views.report_new, name="report_new"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/accept/", views.report_accept, name="report_accept"),
    path("reports/<int:pk>/query/", views.report_query, name="report_query"),
    path("reports/<int:pk>/reply/", views.report_reply, name="report_reply"),
    path("reports/<int:pk>/correct/", views.report_revise, name="report_revise"),
    path("upload/", views.upload, name="upload"),
    path("upload/template.csv", views.upload_template, name="upload_template"),
    path("benchmarks/", views.benchmark_index, name="benchmarks"),
    path("benchmarks/<slug:category>/<slug:metric>/", views.benchmark, name="benchmark"),
    path("suppliers/<slug:slug>/", views.scorecard, name="scorecard"),
    path("downloads/<slug:name>.csv", views.download, name="download"),
]
