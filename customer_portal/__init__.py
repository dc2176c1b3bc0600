"""Link Customer Portal: customers find, check and download their signed invoices.

The company's billing system publishes invoices and payments through the HTTP
API or the CLI; customers sign in to a Reflex web app to see each invoice's
status and download it as a digitally signed PDF (PAdES) anyone can verify.

Layers, from the inside out: :mod:`~customer_portal.domain` holds the rules in
plain Python; :mod:`~customer_portal.documents` renders, signs and verifies
the PDFs; :mod:`~customer_portal.mail` sends the customer emails;
:mod:`~customer_portal.state`, :mod:`~customer_portal.components` and
:mod:`~customer_portal.pages` make the web app; :mod:`~customer_portal.api`
and :mod:`~customer_portal.cli` are the billing system's and the operator's
entry points.
"""
