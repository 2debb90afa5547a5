"""The search page's facet checkboxes tag (suppliers.templatetags.supplier_search)."""

from django.template import Context, Template

from suppliers.selectors import FacetOption, Option


def render(options) -> str:
    template = Template('{% load supplier_search %}{% facet_checkboxes "certification" options %}')
    return template.render(Context({"options": options}))


def test_each_option_is_a_govuk_checkbox_with_its_count_and_ticked_when_chosen():
    html = render(
        [
            FacetOption(Option(1, "iso-27001", "ISO 27001"), 12_345, True),
            FacetOption(Option(2, "cyber-essentials", "Cyber Essentials"), 0, False),
        ]
    )
    assert html == (
        '<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" '
        'id="certification-iso-27001" name="certification" type="checkbox" value="iso-27001" '
        'checked><label class="govuk-label govuk-checkboxes__label" '
        'for="certification-iso-27001">ISO 27001 (12,345)</label></div>'
        '<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" '
        'id="certification-cyber-essentials" name="certification" type="checkbox" '
        'value="cyber-essentials"><label class="govuk-label govuk-checkboxes__label" '
        'for="certification-cyber-essentials">Cyber Essentials (0)</label></div>'
    )


def test_names_and_codes_are_escaped():
    html = render([FacetOption(Option(1, 'a"b', "<Audit & Assurance>"), 3, False)])
    assert 'value="a&quot;b"' in html
    assert "&lt;Audit &amp; Assurance&gt; (3)" in html
    assert "<Audit" not in html


def test_no_options_render_nothing():
    assert render([]) == ""
