"""Modal dialogs the run screen opens to answer the engine's questions."""
