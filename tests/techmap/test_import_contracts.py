"""The import contracts in pyproject.toml (run by ``make lint``) catch what they promise.

Each test adds one import the design forbids to the real import graph and checks that the
contract meant to stop it reports it: an app importing the project package, an import up
(or across) the layers, and a cycle between two modules of one app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application import use_cases

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def check():
    """``check(*imports)``: {contract id: its check} with these (importer, imported) added."""
    configuration.configure()
    options = use_cases.read_user_options(config_filename=str(ROOT / "pyproject.toml"))
    use_cases._register_contract_types(options)
    real_build = use_cases._build_graph

    def run(*imports: tuple[str, str]) -> dict:
        def build(**kwargs):
            graph = real_build(**kwargs)
            for importer, imported in imports:
                graph.add_import(
                    importer=importer,
                    imported=imported,
                    line_number=1,
                    line_contents=f"import {imported}",
                )
            return graph

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(use_cases, "_build_graph", build)
            report = use_cases.create_report(options, cache_dir=None)
        return {
            contract.contract_options["id"]: result
            for contract, result in report.get_contracts_and_checks()
        }

    return run


def test_there_are_three_contracts(check):
    assert set(check()) == {"layers", "no-project-package", "no-cycles"}


def test_an_app_importing_the_project_package_breaks_its_contract(check):
    assert check()["no-project-package"].kept
    assert not check(("suppliers.models", "techmap.settings"))["no-project-package"].kept
    assert not check(("core.tasks", "techmap.celery"))["no-project-package"].kept


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("core.errors", "accounts.models"),  # the core imports no app
        ("accounts.models", "suppliers.models"),
        ("suppliers.selectors", "engagement.models"),
        ("engagement.services", "reporting.models"),  # siblings stay independent
        ("reporting.services", "engagement.models"),
        ("reporting.selectors", "innovation_den.models"),
    ],
)
def test_an_import_up_or_across_the_layers_breaks_them(check, importer, imported):
    assert check()["layers"].kept
    assert not check((importer, imported))["layers"].kept


def test_a_cycle_between_two_modules_of_an_app_breaks_no_cycles(check):
    def packages_with_cycles(result) -> set[str]:
        return set(result.metadata["cycle_breakers_by_package"])

    before = packages_with_cycles(check()["no-cycles"])
    assert "engagement" not in before
    # The cycle core.tasks.enqueue ended: services queue tasks by name; tasks call services.
    after = check(("engagement.services", "engagement.tasks"))["no-cycles"]
    assert not after.kept
    assert packages_with_cycles(after) - before == {"engagement"}
