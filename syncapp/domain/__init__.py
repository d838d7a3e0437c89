"""Plain-Python vocabulary of the hub: no Django, no HTTP."""
