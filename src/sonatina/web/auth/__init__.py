"""Accounts: sign up, log in and out, profile and photo, API tokens. Routes are in routes.py."""
