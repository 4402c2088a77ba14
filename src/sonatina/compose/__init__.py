"""From a model to music: the sampling loop and its constraints, pieces from requests."""
