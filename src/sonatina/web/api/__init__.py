"""The JSON API (bearer tokens) and its OpenAPI document. Routes are in routes.py."""
