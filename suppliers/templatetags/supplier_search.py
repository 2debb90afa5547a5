"""Tags for the supplier search page (``templates/suppliers/search.html``)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from suppliers.selectors import FacetOption

register = template.Library()

_CHECKED = mark_safe(" checked")
_ITEM = (
    '<div class="govuk-checkboxes__item">'
    '<input class="govuk-checkboxes__input" id="{0}-{1}" name="{0}" type="checkbox" '
    'value="{1}"{2}>'
    '<label class="govuk-label govuk-checkboxes__label" for="{0}-{1}">{3} ({4})</label>'
    "</div>"
)


@register.simple_tag
def facet_checkboxes(name: str, options: Iterable[FacetOption]) -> SafeString:
    """``{% facet_checkboxes "region" facets.regions %}``: one GOV.UK checkbox item per
    option of a filter, labelled with its live count, ticked when selected.

    One tag, not a template loop, for the four filters that share the markup: the page
    shows about 80 of these, and a loop of template variables took most of its
    rendering time (see the README's performance section).
    """
    return format_html_join(
        "",
        _ITEM,
        (
            (name, o.option.code, _CHECKED if o.selected else "", o.option.name, f"{o.count:,}")
            for o in options
        ),
    )


@register.simple_tag
def shortlisted(held: dict, supplier_id: int) -> SafeString:
    """``{% shortlisted shortlisted s.pk %}``: the "Shortlisted" tag and links to the user's
    shortlists that hold the supplier (``selectors.shortlisted.shortlists_holding``), or
    nothing."""
    from django.urls import reverse
    from django.utils.html import format_html

    lists = held.get(supplier_id) if held else None
    if not lists:
        return mark_safe("")
    links = format_html_join(
        ", ",
        '<a class="govuk-link" href="{}">{}</a>',
        ((reverse("suppliers:shortlist", args=[s.pk]), s.name) for s in lists),
    )
    return format_html(
        '<p class="govuk-body-s govuk-!-margin-bottom-2" data-shortlisted>'
        '<strong class="govuk-tag govuk-tag--blue">Shortlisted</strong> '
        "On your shortlist{}: {}</p>",
        "" if len(lists) == 1 else "s",
        links,
    )
