"""The core every layer stands on: configuration, settings, errors, rejects, frame contracts
and path globs. It imports no other Seams module."""
