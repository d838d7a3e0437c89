"""What the console and the operator commands read: the side-by-side view of one order, the checks
run before staff save a mapping, and the `doctor` preflight."""
