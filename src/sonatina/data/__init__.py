"""From sources to training data: corpus (files -> Scores), tokens, datasets and splits."""
