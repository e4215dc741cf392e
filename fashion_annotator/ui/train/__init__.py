"""The retrain dialog and its live plot."""
