"""Emulators of Salesforce, Zuora and Nue, served under /sandbox/ when HUB_SANDBOX=1.

Treat this package as another company's systems: it never imports `syncapp`, and `syncapp` never
imports it. The hub reaches it only over HTTP through its normal connectors.
"""
