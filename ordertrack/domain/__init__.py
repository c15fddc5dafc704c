"""Pure domain: roles, workflows as data, the transition engine, the business calendar.

Imports only the standard library (enforced by import-linter); time always comes in as ``now``.
"""
