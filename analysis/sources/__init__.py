"""The source miners: one module per kind of input, each returning tidy frames."""
