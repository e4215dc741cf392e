"""Qt adapters of the annotation view: canvas, image session, docks and bars."""
