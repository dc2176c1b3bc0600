"""The portal's rules, in plain Python: no Reflex, no web framework.

State classes, the HTTP API and the CLI all call into this package, so every
rule is written once and tested without a browser.
"""
