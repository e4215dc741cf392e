"""The QA review tab: score table, histogram, agreement viewer, background re-score."""
