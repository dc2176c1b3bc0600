"""The invoice PDF from rendering to proof: draw it, sign it, check it stays intact.

:mod:`.render` lays out the invoice, :mod:`.signing` signs it (PAdES),
:mod:`.integrity` checks the stored bytes against their recorded hash,
:mod:`.verify` validates a signature, and :mod:`.pki` makes a demo certificate
for development.
"""
