"""No import cycle inside the app's packages; imports inside functions count (grimp reads them all)."""

from __future__ import annotations

import grimp
import pytest


def _cycles(package: str) -> list[tuple[str, str]]:
    graph = grimp.build_graph(package)
    found = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported == module or not imported.startswith(package):
                continue
            # A package's __init__ importing its own submodules is not a cycle of code.
            if module.startswith(imported + ".") or imported.startswith(module + "."):
                continue
            if graph.chain_exists(importer=imported, imported=module):
                found.add(tuple(sorted((module, imported))))
    return sorted(found)


@pytest.mark.parametrize("package", ["api", "knowledge", "voice", "inspection"])
def test_no_import_cycle(package: str) -> None:
    assert _cycles(package) == []
