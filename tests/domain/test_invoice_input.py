import pytest

from customer_portal.domain.batches import (
    MAX_JSON_DEPTH,
    json_depth,
    parse_invoice_csv,
    parse_json_batch,
)
from customer_portal.domain.invoice_input import invoice_label, parse_invoice
from customer_portal.domain.validation import InputRejected
from tests.factories import customer_input, invoice_input, line_input


def errors_of(raw) -> dict[str, str]:
    with pytest.raises(InputRejected) as caught:
        parse_invoice(raw)
    return {e.field: e.message for e in caught.value.errors}


def test_valid_invoice_is_normalised_to_stored_integers():
    data = parse_invoice(
        invoice_input(
            "F-2019/1",
            lines=[line_input(quantity="1.5", unit_price="0.0125", tax_rate="6,5 %")],
            customer=customer_input(email="  Jose.Munoz@Example.COM ", tax_id="b35123456"),
        )
    )
    line = data.lines[0]
    assert (line.quantity_milli, line.unit_price_e4, line.tax_rate_bp) == (1500, 125, 650)
    assert line.amount_cents == 2  # 0.01875 rounds half up to 0.02
    assert data.customer.tax_id == "B35123456"
    assert data.customer.email == "Jose.Munoz@example.com"  # domain part lower-cased


def test_same_invoice_written_differently_has_the_same_hash():
    a = invoice_input("F-1", lines=[line_input(quantity=1, unit_price="39.9", tax_rate=7)])
    b = invoice_input(
        "F-1", lines=[line_input(quantity="1.000", unit_price="39.90", tax_rate="7%")]
    )
    assert parse_invoice(a).content_hash() == parse_invoice(b).content_hash()
    c = invoice_input("F-1", lines=[line_input(unit_price="39.91")])
    assert parse_invoice(a).content_hash() != parse_invoice(c).content_hash()


LONG = "x" * 10_000


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"number": None}, "number", "must be text"),
        ({"number": "F 1"}, "number", "accepted format"),
        ({"number": LONG}, "number", "longer than 40"),
        ({"issue_date": "30/04/2019"}, "issue_date", "YYYY-MM-DD"),
        ({"issue_date": "2019-02-30"}, "issue_date", "not a real date"),
        ({"issue_date": 1556582400}, "issue_date", "YYYY-MM-DD"),
        ({"due_date": "2019-04-01"}, "", "due_date is before issue_date"),
        ({"lines": []}, "lines", "at least one entry"),
        ({"lines": "none"}, "lines", "must be a list"),
        ({"lines": [line_input(quantity="-1")]}, "lines[0].quantity", "must not be negative"),
        ({"lines": [line_input(quantity="0")]}, "lines[0].quantity", "greater than zero"),
        ({"lines": [line_input(unit_price="-5")]}, "lines[0].unit_price", "must not be negative"),
        ({"lines": [line_input(unit_price="diez")]}, "lines[0].unit_price", "is not a number"),
        ({"lines": [line_input(tax_rate="siete")]}, "lines[0].tax_rate", "percentage"),
        ({"lines": [line_input(description=LONG)]}, "lines[0].description", "longer than 1000"),
        ({"lines": [line_input(description="")]}, "lines[0].description", "must not be empty"),
        ({"lines": [{"description": "x"}]}, "lines[0].quantity", "is required"),
        ({"customer": customer_input(email="not-an-email")}, "customer.email", "not a valid email"),
        ({"customer": customer_input(name=LONG)}, "customer.name", "longer than 200"),
        ({"customer": customer_input(address=LONG)}, "customer.address", "longer than 500"),
        ({"customer": "CLI-1"}, "customer", "must be an object"),
        ({"total": "1.00"}, "total", "lines add up to 42.69"),
        ({"total": "-42.69"}, "total", "must not be negative"),
        ({"unexpected": 1}, "unexpected", "not a known field"),
        # Longer than the decimal context's 28 digits: quantize() used to raise.
        ({"lines": [line_input(unit_price="9" * 40)]}, "lines[0].unit_price", "too large"),
        # What PostgreSQL's 32-bit INTEGER columns can store.
        ({"lines": [line_input(quantity="2147483.648")]}, "lines[0].quantity", "2147483.647"),
        ({"lines": [line_input(unit_price="214748.3648")]}, "lines[0].unit_price", "214748.3647"),
        (
            {"lines": [line_input(quantity="1000", unit_price="30000")]},
            "total",
            "the lines add up to 32100000.00; an invoice may total at most 21474836.47",
        ),
        ({"customer": customer_input(name="Ana\x00")}, "customer.name", "control characters"),
        ({"lines": [line_input(description="a\x1b[2J")]}, "lines[0].description", "control"),
    ],
)
def test_bad_input_names_the_field(change, field, message):
    raw = invoice_input("F-1")
    raw.update(change)
    errors = errors_of(raw)
    assert field in errors, errors
    assert message in errors[field]


def test_missing_fields_are_all_reported_at_once():
    errors = errors_of({"lines": [line_input()]})
    assert {"number", "issue_date", "customer"} <= errors.keys()


def test_a_matching_total_is_accepted():
    assert parse_invoice(invoice_input("F-1", total="42.69")).totals.total_cents == 4269


def test_the_largest_storable_invoice_is_accepted():
    # 20,069,940.00 + 7 % = 21,474,835.80, just under 2^31 - 1 cents.
    line = line_input(quantity="1000", unit_price="20069.94", description="Línea\n\tdos")
    assert parse_invoice(invoice_input("F-1", lines=[line])).totals.total_cents == 2_147_483_580


def test_label_falls_back_to_position_when_number_is_unusable():
    assert invoice_label({"number": "F-7"}, 0) == "F-7"
    assert invoice_label({"number": "x" * 100}, 2) == "#3"
    assert invoice_label("garbage", 0) == "#1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "malformed JSON at line 1"),
        ('"a string"', "expected a list of invoices"),
        (b"\xff\xfe", "not UTF-8"),
        ("[" * 2000 + "]" * 2000, "nested deeper than 32 levels"),
        ("[" * 33 + "]" * 33, "nested deeper than 32 levels"),
        ("[" + "1" * 5000 + "]", "more than 40 digits"),
        ("[1e400]", "out of range: 1e400"),
        ("[NaN]", "NaN is not a JSON number"),
        ("[-Infinity]", "-Infinity is not a JSON number"),
    ],
)
def test_batch_rejects_malformed_json(text, message):
    with pytest.raises(InputRejected, match=message):
        parse_json_batch(text, "invoices")


def test_depth_ignores_brackets_inside_strings():
    deep_text = '[{"description": "' + "[{" * 100 + '\\"]"}]'
    assert json_depth(deep_text) == 2
    assert parse_json_batch(deep_text, "invoices")[0]["description"].startswith("[{[{")
    assert json_depth("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) == MAX_JSON_DEPTH
    assert json_depth('"unterminated [[[') == 0 and json_depth("") == 0


def test_batch_accepts_list_wrapper_and_keeps_decimals_exact():
    items = parse_json_batch('{"invoices": [{"number": "F", "total": 0.1}]}', "invoices")
    assert str(items[0]["total"]) == "0.1"
    assert parse_json_batch("[]", "invoices") == []


CSV_HEADER = (
    "number,issue_date,due_date,customer_code,customer_name,customer_tax_id,customer_email,"
    "description,quantity,unit_price,tax_name,tax_rate\n"
)


def test_csv_rows_group_into_invoices():
    text = CSV_HEADER + (
        "F-1,2019-04-30,,C1,Ana,12345678Z,ana@example.com,Fibra,1,39.90,IGIC,7\n"
        "F-1,2019-04-30,,C1,Ana,12345678Z,ana@example.com,Móvil,2,15,IGIC,7\n"
        "F-2,2019-05-30,,C1,Ana,12345678Z,ana@example.com,Fibra,1,39.90,IGIC,7\n"
    )
    invoices = parse_invoice_csv(text)
    assert [i["number"] for i in invoices] == ["F-1", "F-2"]
    first = parse_invoice(invoices[0])
    assert "due_date" not in invoices[0]
    assert [ln.amount_cents for ln in first.lines] == [3990, 3000]


def test_csv_rows_of_one_invoice_must_agree():
    text = CSV_HEADER + (
        "F-1,2019-04-30,,C1,Ana,12345678Z,ana@example.com,Fibra,1,39.90,IGIC,7\n"
        "F-1,2019-04-30,,C1,Eva,12345678Z,ana@example.com,Móvil,2,15,IGIC,7\n"
    )
    with pytest.raises(InputRejected, match="row 3: invoice or customer columns differ from row 2"):
        parse_invoice_csv(text)


def test_csv_field_over_the_csv_module_limit_is_rejected():
    row = "F-1,2019-04-30,,C1,Ana,12345678Z,ana@example.com," + "x" * 200_000 + ",1,1,IGIC,7\n"
    with pytest.raises(InputRejected, match="malformed CSV at line 2: field larger than"):
        parse_invoice_csv(CSV_HEADER + row)


def test_csv_without_required_columns_is_rejected():
    with pytest.raises(InputRejected, match="lacks the columns: .*customer_email"):
        parse_invoice_csv("number,issue_date\nF-1,2019-04-30\n")


def test_the_tax_agency_qr_is_optional_checked_and_kept_out_of_old_hashes():
    from customer_portal.domain.invoice_input import TaxAgencyQr

    plain = parse_invoice(invoice_input("F-VF-2"))
    assert plain.tax_agency_qr is None
    url = "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR?nif=B1&numserie=F"
    raw = invoice_input("F-VF-2")
    raw["tax_agency_qr"] = {"url": url, "verifactu": True}
    sent = parse_invoice(raw)
    assert sent.tax_agency_qr == TaxAgencyQr(url=url, verifactu=True)
    # Sent later, it is a different invoice; never sent, the hash is what it always was.
    assert sent.content_hash() != plain.content_hash()
    assert plain.content_hash() == parse_invoice(invoice_input("F-VF-2")).content_hash()
    for bad in (
        "http://www2.agenciatributaria.gob.es/x",
        "https://agenciatributaria.gob.es.evil.example/x",
        "https://evil.example/?agenciatributaria.gob.es",
        "https://www2.agenciatributaria.gob.es/" + "x" * 1000,
        42,
    ):
        raw["tax_agency_qr"] = {"url": bad}
        with pytest.raises(InputRejected) as rejected:
            parse_invoice(raw)
        assert rejected.value.errors[0].field == "tax_agency_qr.url"
