"""Small rules about a supplier's organisation, written once.

The model's validators and ``Supplier.clean``, the registration forms, the API serializer
and the CSV importer all read these, so the year range and the employee bands cannot drift
apart. ``size_employees_error`` is the one check that size agrees with employees.
"""

from __future__ import annotations

YEAR_FOUNDED_MIN = 1800
YEAR_FOUNDED_MAX = 2100
EMPLOYEES_MAX = 10_000_000

# Size band → (fewest, most) employees; None: no upper limit. The UK's company-size bands.
EMPLOYEE_BANDS: dict[str, tuple[int, int | None]] = {
    "micro": (0, 9),
    "small": (10, 49),
    "medium": (50, 249),
    "large": (250, None),
}


def size_for_employees(employees: int) -> str:
    """The size band a number of employees falls in."""
    for size, (low, high) in EMPLOYEE_BANDS.items():
        if employees >= low and (high is None or employees <= high):
            return size
    raise ValueError(employees)


def size_employees_error(size: str | None, employees: int | None) -> str | None:
    """Why ``size`` does not agree with ``employees`` (400 employees is not "small"), or
    None when they agree or either is not given."""
    if not size or employees is None or size not in EMPLOYEE_BANDS:
        return None
    low, high = EMPLOYEE_BANDS[size]
    if employees >= low and (high is None or employees <= high):
        return None
    band = f"{low} to {high}" if high is not None else f"{low} or more"
    return (
        f"{employees:,} employees is not a {size} organisation ({band} employees): "
        f"choose {size_for_employees(employees)}, or correct the number of employees"
    )
