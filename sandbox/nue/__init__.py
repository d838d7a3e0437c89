"""Emulator of Nue's self-service (lifecycle manager) REST API, mounted at `/sandbox/nue/`.

It follows Nue's Self-Service API reference (api-docs.nue.io, nue-api-docs.apidocumentation.com)
and refuses what that reference does not allow: unknown fields, missing required fields and
wrong shapes answer Nue's error envelope. Where the reference is silent the emulator follows the
assumptions written down, with what breaks if they are wrong, in docs/vendor-assumptions.md (Nue) —
never the connector. `/_control` (no auth) injects failures and reports call counts; see
`control.py`.
"""
