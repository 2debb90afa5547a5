"""``tests.helpers.assert_no_raw_codes``, which the browser tests run on every page they load:
it finds codes shown where a name belongs, and only in the text people see."""

from __future__ import annotations

import pytest

from tests.helpers import assert_no_raw_codes, raw_codes_in

pytestmark = pytest.mark.django_db  # the codes are the migrations' reference data


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ("<dl><dt>Size</dt><dd>small</dd></dl>", [("small", "small")]),
        ("<p>In TLI and TLJ</p>", [("TLI", "In TLI and TLJ"), ("TLJ", "In TLI and TLJ")]),
        ("<li>cloud-hosting</li>", [("cloud-hosting", "cloud-hosting")]),
        ("<li>Works in data-and-ai</li>", [("data-and-ai", "Works in data-and-ai")]),
        ("<span>devops</span>", [("devops", "devops")]),
    ],
)
def test_codes_in_visible_text_are_found(html, found):
    assert raw_codes_in(f"<html><body>{html}</body></html>") == found
    with pytest.raises(AssertionError, match="raw codes shown to people"):
        assert_no_raw_codes(html)


@pytest.mark.parametrize(
    "html",
    [
        '<a href="/suppliers/?region=TLI&amp;capability=cloud-hosting">London</a>',
        '<input type="hidden" name="size" value="small"><label>Small (10 to 49 employees)</label>',
        '<option value="TLI">London</option><option value="cloud-hosting">Cloud hosting</option>',
        "<p>A small team, working in London on DevOps and cloud hosting.</p>",
        "<p>Cloud-native architecture</p>",
        "<pre><code>curl /api/v1/suppliers/?region=TLI</code></pre><p>Use <code>small</code></p>",
        "<script>const size = 'small';</script><div hidden><p>TLI</p></div>",
    ],
)
def test_codes_in_attributes_urls_hidden_inputs_and_code_are_fine(html):
    assert_no_raw_codes(html)
