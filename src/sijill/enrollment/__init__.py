"""Enrollment: files from the receipt to the operator\x27s decision, one engine for every programme."""
