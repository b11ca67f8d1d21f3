"""Programmes: eligibility and entitlement rules as dated data, decisions with reason codes."""
