"""The check bench/publishing.py runs on its own output: it passes good PDFs, stops on bad ones."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench.signed_output import check_published
from tests.factories import invoice_input, line_input


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_published_invoices_pass_and_one_changed_stops_the_benchmark(
    publisher, engine, database_url, pki
):
    for number, lines in (("F-1", 1), ("F-2", 7), ("F-3", 30)):
        publisher.publish(
            invoice_input(number, lines=[line_input(description=f"L{n}") for n in range(lines)])
        )
    checked = check_published(database_url, pki.ca_pem)
    assert (checked.invoices, checked.fewest_lines, checked.most_lines) == (3, 1, 30)

    with engine.begin() as connection:  # someone changes one byte of a stored PDF
        pdf = connection.execute(sa.text("SELECT pdf FROM signed_document LIMIT 1")).scalar_one()
        changed = bytearray(pdf)
        changed[len(changed) // 2] ^= 1
        connection.execute(
            sa.text("UPDATE signed_document SET pdf = :pdf WHERE pdf = :old"),
            {"pdf": bytes(changed), "old": pdf},
        )
    with pytest.raises(SystemExit, match="valid"):
        check_published(database_url, pki.ca_pem)
