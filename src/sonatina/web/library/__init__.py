"""The user's library: dashboard, song pages, rename, delete, downloads. Routes are in routes.py."""
