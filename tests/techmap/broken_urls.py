"""A URLconf with a view that fails, to see the 500 page a real error produces."""

from django.urls import path

from techmap.urls import handler500, urlpatterns  # noqa: F401 - the real handlers


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom), *urlpatterns]
