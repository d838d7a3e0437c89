"""The ports and the Vendors bundle (docs/architecture.md, "Layers"), checked in the source:

- Salesforce is reached through its port: SOQL and Salesforce's custom field names live only in
  `syncapp/connectors/salesforce/`, so a flow reads and writes domain records, never rows;
- connectors are built only at the entry points, as one `Vendors` bundle: nothing outside
  `syncapp/connectors/` builds a connector itself;
- the public functions of the flows, the job engine, the console and the connectors carry type
  hints.

Each scan names the file and line that breaks the rule.
"""
import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HUB = REPO / "syncapp"
SALESFORCE_PORT = HUB / "connectors" / "salesforce"
# A SOQL query: `SELECT <fields> FROM <object>` (the health check's database probe, `SELECT 1`,
# and prose about the database's own SELECTs name no object).
SOQL = re.compile(r"\bSELECT\s+\S.*\bFROM\s+[A-Z]")
CUSTOM_FIELD = re.compile(r"\b[A-Za-z][A-Za-z0-9_]*__c\b")
# Zuora and Nue name their own custom fields with the same suffix (`Name__c`): billing's, not Salesforce's.
BILLING_CONNECTORS = HUB / "connectors" / "billing"
BUILDS_A_CONNECTOR = re.compile(r"\b(?:\w+Connector\.from_settings|billing_connector|\w+Connector)\(")


def hub_sources(*, skip: tuple[Path, ...] = ()) -> list[Path]:
    return [path for path in sorted(HUB.rglob("*.py"))
            if "migrations" not in path.parts and not any(path.is_relative_to(s) for s in skip)]


def lines_matching(pattern: re.Pattern, paths: list[Path]) -> list[str]:
    return [f"{path.relative_to(REPO)}:{n}: {line.strip()}" for path in paths
            for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]


def test_the_scans_see_what_they_look_for():
    port = sorted(SALESFORCE_PORT.glob("*.py"))
    assert lines_matching(SOQL, port), "the port's queries"
    assert lines_matching(CUSTOM_FIELD, port), "the port's custom fields"
    assert lines_matching(BUILDS_A_CONNECTOR, [HUB / "connectors" / "vendors.py"]), "the bundle builds them"
    assert not lines_matching(SOQL, [HUB / "api" / "health.py"]), "SQL is not SOQL"


def test_no_soql_outside_the_salesforce_port():
    assert lines_matching(SOQL, hub_sources(skip=(SALESFORCE_PORT,))) == []


def test_no_salesforce_custom_field_outside_the_salesforce_port():
    # Field mappings staff configure name Salesforce fields too, but as data in the database.
    assert lines_matching(CUSTOM_FIELD, hub_sources(skip=(SALESFORCE_PORT, BILLING_CONNECTORS))) == []


def test_only_connectors_build_connectors():
    assert lines_matching(BUILDS_A_CONNECTOR, hub_sources(skip=(HUB / "connectors",))) == []


def unannotated(path: Path) -> list[str]:
    """Public functions and public classes' methods with a parameter or the return unannotated."""
    found = []

    def visit(node: ast.AST, owner: str = "") -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                visit(child, f"{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                if child.name.startswith("_") and child.name != "__init__":
                    continue
                args = child.args
                params = args.posonlyargs + args.args + args.kwonlyargs
                if owner and params and params[0].arg in ("self", "cls"):
                    params = params[1:]
                bare = [a.arg for a in (*params, args.vararg, args.kwarg) if a is not None and a.annotation is None]
                if child.returns is None and child.name != "__init__":
                    bare.append("return")
                if bare:
                    found.append(f"{path.relative_to(REPO)}:{child.lineno} {owner}{child.name}: {', '.join(bare)}")

    visit(ast.parse(path.read_text()))
    return found


def test_public_functions_of_flows_jobs_console_and_connectors_have_type_hints():
    packages = [HUB / name for name in ("sync", "jobs", "console", "connectors")]
    missing = [problem for package in packages for path in sorted(package.rglob("*.py"))
               for problem in unannotated(path)]
    assert missing == []
