"""Use cases that write: each records its step conditionally, so a repeat is harmless."""
