"""templates/components/pagination.html: the one GOV.UK pagination of every list page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def _render(number: int, query: str = "") -> str:
    page = Paginator(range(45), 20).get_page(number)
    request = RequestFactory().get(f"/engagement/?{query}")
    return render_to_string("components/pagination.html", {"page": page}, request=request)


def test_links_keep_the_filters_and_change_only_the_page():
    html = _render(2, "q=cloud&region=london&region=wales&page=2")
    assert 'href="?q=cloud&amp;region=london&amp;region=wales&amp;page=1" rel="prev"' in html
    assert 'href="?q=cloud&amp;region=london&amp;region=wales&amp;page=3" rel="next"' in html
    assert 'aria-label="Page 2 of 3" aria-current="page"' in html


def test_first_and_last_pages_have_one_way_only():
    first, last = _render(1), _render(3)
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert 'href="?page=2" rel="next"' in first


def test_a_single_page_has_no_pagination():
    page = Paginator(range(5), 20).get_page(1)
    html = render_to_string("components/pagination.html", {"page": page})
    assert "govuk-pagination" not in html
