"""A stand-in for the CNSS enrollment service, run as its own process (`sijill cnss-sim`): it takes
batches, decides each file a little later, and calls Sijill back, surviving its own restarts."""
