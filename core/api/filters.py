"""The API's filter backend: django-filter's, keeping the FilterSet it used on the view."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend (strict: a bad filter value is a 400), which also keeps the
    FilterSet on the view as ``view.filterset``, so that a page can say what its search
    did (``core.api.pagination.SearchCursorPagination``)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        view.filterset = filterset
        return filterset
