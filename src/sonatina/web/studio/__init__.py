"""The studio: the generation form, job progress, make again / vary. Routes are in routes.py."""
