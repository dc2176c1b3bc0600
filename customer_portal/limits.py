"""Column widths and input limits, in one place for the models and the code.

:mod:`customer_portal.models` declares its string columns with these widths,
and every place that validates or cuts a value to fit a column uses the same
name, so a width can never drift between the schema and the code that fills
it. Changing a width here also needs a migration: the migrations keep their
literal numbers, because they record what the schema was at each step.
"""

from __future__ import annotations

# --- Customer --------------------------------------------------------------
CUSTOMER_CODE_LENGTH = 40
CUSTOMER_NAME_LENGTH = 200
TAX_ID_LENGTH = 20
#: An email address (RFC 5321 path limit): customers, logins, failures, the outbox.
EMAIL_LENGTH = 254
ADDRESS_LENGTH = 500

# --- Account ---------------------------------------------------------------
PASSWORD_HASH_LENGTH = 100

# --- Invoice, lines, payments, signed documents ----------------------------
INVOICE_NUMBER_LENGTH = 40
#: ISO 4217 code, e.g. EUR.
CURRENCY_LENGTH = 3
#: A SHA-256 in hex: content hashes, PDF hashes, certificate fingerprints, token hashes.
SHA256_HEX_LENGTH = 64
#: A Fernet token of a 32-character base-32 TOTP secret (about 140 characters).
TOTP_SECRET_LENGTH = 200
# A language code of the catalogs ("es", "en", "ca"...).
LANGUAGE_LENGTH = 8
# An invoice's verification code, bare (domain/verification.py).
VERIFICATION_CODE_LENGTH = 20
LINE_DESCRIPTION_LENGTH = 1000
TAX_NAME_LENGTH = 20
PAYMENT_REFERENCE_LENGTH = 80
SIGNER_SUBJECT_LENGTH = 400

# --- Outbox ----------------------------------------------------------------
EMAIL_KIND_LENGTH = 40
EMAIL_SUBJECT_LENGTH = 200
DEDUPE_KEY_LENGTH = 200
MESSAGE_ID_LENGTH = 200
CLAIM_TOKEN_LENGTH = 32
LAST_ERROR_LENGTH = 2000
#: Which notices may share an email, e.g. ``invoices:<customer id>``.
GROUP_KEY_LENGTH = 60

# --- Sessions, login failures, audit ---------------------------------------
USER_AGENT_LENGTH = 300
#: A client address as stored; a forged X-Forwarded-For is cut to this.
IP_LENGTH = 64
AUDIT_ACTOR_LENGTH = 120
AUDIT_ACTION_LENGTH = 60
AUDIT_SUBJECT_LENGTH = 200

# --- Input limits (no column: what a request may carry) --------------------
#: A session token is 43 characters; anything much longer is not one of ours.
SESSION_TOKEN_MAX_LENGTH = 200
