"""Public records in: OCDS contract data and Companies House, so the register also shows
the organisations that win public contracts before they register, and what they won.

- ``reader``: streams OCDS releases from release packages, record packages, JSON Lines,
  ``.gz`` files and folders of them, in flat memory (ijson).
- ``text``: the one normalised-name rule, mojibake repair, dates and amounts as published.
- ``regions``: postcode area to ITL1 region.
- ``matching``: buyers to public bodies, supplier parties to suppliers.
- ``ocds``: releases to award records and external engagement notices, in batches that
  commit as they go (``import_releases``).
- ``fetch``: pages through the publishers' OCDS APIs (``links.next``), with retries.
- ``companies_house``: the Free Company Data Product (BasicCompanyData) CSV or ZIP.

The management commands ``import_ocds``, ``fetch_ocds`` and ``import_companies_house``
are thin wrappers around these.
"""
