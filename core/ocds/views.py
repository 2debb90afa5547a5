"""The Techmap OCDS extension, served at a stable URL (``/ocds/extension/<file>``).

Only the extension's own files are served: ``extension.json`` (with ``documentationUrl``
made absolute, pointing at the README served beside it), ``release-schema.json``,
``README.md`` and ``codelists/*.csv``. Public, cacheable, and open to any origin, since OCDS
tools in browsers fetch extensions from other sites.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from core.ocds import EXTENSION_DIR, extension_file_url

CONTENT_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


def extension_files() -> dict[str, str]:
    """The extension's files, by the name they are served under."""
    names = ["extension.json", "release-schema.json", "README.md"]
    names += [f"codelists/{p.name}" for p in sorted((EXTENSION_DIR / "codelists").glob("*.csv"))]
    return {name: CONTENT_TYPES[name[name.rindex(".") :]] for name in names}


@require_GET
def extension_file(request: HttpRequest, name: str) -> HttpResponse:
    content_type = extension_files().get(name)
    if content_type is None:
        raise Http404("No such file in the Techmap OCDS extension.")
    body = (EXTENSION_DIR / name).read_text(encoding="utf-8")
    if name == "extension.json":
        metadata = json.loads(body)
        metadata["documentationUrl"] = {"en": extension_file_url("README.md")}
        body = json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response
