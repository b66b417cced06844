"""Has a spreadsheet compute XIRR for every case of `xirr_cases` and stores what it answered in
`xirr_spreadsheet.json`, the reference of `test_returns.py`.

    apt-get install libreoffice-calc-nogui
    .venv/bin/python -m tests.investments.spreadsheet_xirr

The cases go into one flat ODF sheet (.fods), one block of rows per case with its XIRR formulas
beside it — without a guess (the spreadsheet's default, 10 %) and with each of GUESSES — and
LibreOffice recalculates the sheet on load and writes it out as CSV. The file is regenerated
only when the cases change; the test refuses a reference whose flows differ from the cases."""

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

from tests.investments.xirr_cases import NO_ROOT_CASES, SEVERAL_ROOT_CASES, UNIQUE_CASES

REFERENCE = Path(__file__).with_name("xirr_spreadsheet.json")
GUESSES = (0.3, -0.5)
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
<number:number-style style:name="N15"><number:number number:decimal-places="15"
 number:min-integer-digits="1"/></number:number-style>
<style:style style:name="rate" style:family="table-cell" style:data-style-name="N15"/>
</office:automatic-styles>
<office:body><office:spreadsheet><table:table table:name="xirr">
"""
TAIL = "</table:table></office:spreadsheet></office:body></office:document>\n"


def all_cases() -> dict:
    cases = {**UNIQUE_CASES, **NO_ROOT_CASES}
    cases.update({name: flows for name, (flows, _rates) in SEVERAL_ROOT_CASES.items()})
    return cases


def _formula(first: int, last: int, guess: float | None) -> str:
    arguments = f"[.B{first}:.B{last}];[.A{first}:.A{last}]"
    if guess is not None:
        arguments += f";{guess}"
    return f'<table:table-cell table:style-name="rate" table:formula={quoteattr(f"of:=XIRR({arguments})")}/>'


def sheet(cases: dict) -> tuple[str, dict[str, int]]:
    """The .fods text and each case's first row."""
    rows, first_rows, row = [], {}, 1
    for name, flows in cases.items():
        first, last = row, row + len(flows) - 1
        first_rows[name] = first
        for index, flow in enumerate(flows):
            cells = (
                f'<table:table-cell office:value-type="date" office:date-value="{flow.on.isoformat()}"/>'
                f'<table:table-cell office:value-type="float" office:value="{flow.amount_fen}"/>'
            )
            if index == 0:
                cells += "".join(_formula(first, last, guess) for guess in (None, *GUESSES))
            rows.append(f"<table:table-row>{cells}</table:table-row>")
        row = last + 1
    return HEAD + "\n".join(rows) + TAIL, first_rows


def _answer(text: str):
    try:
        return {"rate": float(text)}
    except ValueError:
        return {"error": text}


def main() -> int:
    cases = all_cases()
    text, first_rows = sheet(cases)
    version = subprocess.run(
        ["soffice", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory, "xirr.fods")
        source.write_text(text, encoding="utf-8")
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "csv", "--outdir", directory, str(source)],
            check=True,
            capture_output=True,
        )
        with Path(directory, "xirr.csv").open(newline="", encoding="utf-8") as handle:
            table = list(csv.reader(handle))
    reference = {"spreadsheet": version, "guesses": [None, *GUESSES], "cases": {}}
    for name, flows in cases.items():
        cells = table[first_rows[name] - 1][2 : 3 + len(GUESSES)]
        reference["cases"][name] = {
            "flows": [[flow.on.isoformat(), flow.amount_fen] for flow in flows],
            "answers": [_answer(cell) for cell in cells],
        }
    REFERENCE.write_text(json.dumps(reference, ensure_ascii=False, indent=1) + "\n")
    print(f"{len(cases)} cases written to {REFERENCE} by {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
