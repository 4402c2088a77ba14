"""The networks: LSTM and checkpoints, the model registry, cards, training and evaluation."""
